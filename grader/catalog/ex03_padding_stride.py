"""ex03: padding (four modes, any leading dimensions), where padding="same" puts its pixels, and
a single-channel convolution with stride, padding and dilation."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.api import (
    N_,
    Call,
    Check,
    Context,
    ErrorCase,
    Exercise,
    Mistake,
    Task,
    Variant,
    Window,
    arguments,
    checks,
    judge_call,
    register,
    spatial_window,
    strategies,
)

MODES = ("zeros", "reflect", "replicate", "circular")


# --- references ----------------------------------------------------------------------------------


def conv2d_quietly(*args: Any, **kwargs: Any) -> torch.Tensor:
    """F.conv2d without torch's warning that padding="same" with an even kernel copies the input
    (students would read it under their own results)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return F.conv2d(*args, **kwargs)


def reference_pad2d(X: torch.Tensor, padding: tuple[int, int, int, int], mode: str = "zeros") -> torch.Tensor:
    """F.pad over the last two dimensions. F.pad takes only 3-D or 4-D input for the non-constant
    modes, so the leading dimensions are folded into one and unfolded afterwards."""
    *lead, h, w = X.shape
    padded = F.pad(X.reshape(-1, h, w), tuple(padding), mode="constant" if mode == "zeros" else mode)
    return padded.reshape(*lead, *padded.shape[-2:])


@functools.cache
def reference_same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Where torch's padding="same" puts its padding along one axis, measured rather than
    assumed: the input 1, 2, ..., total+1 is convolved with a kernel whose only non-zero tap is
    the first, so output j reads padded input j, and the zeros at the start of the output are
    exactly the padding placed before."""
    total = dilation * (kernel_size - 1)
    x = torch.arange(1, total + 2, dtype=torch.float64).reshape(1, 1, 1, -1)
    w = torch.zeros(1, 1, 1, kernel_size, dtype=torch.float64)
    w[..., 0] = 1
    before = int((conv2d_quietly(x, w, padding="same", dilation=(1, dilation)) == 0).sum())
    return before, total - before


def reference_conv2d_strided(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                             dilation: Any = 1) -> torch.Tensor:
    """torch's conv2d on one channel: (H, W), (kh, kw) -> (H', W')."""
    return conv2d_quietly(X[None, None], K[None, None], stride=stride, padding=padding, dilation=dilation)[0, 0]


# --- classic mistakes ----------------------------------------------------------------------------
# Each has the reference's signature and returns what code making the mistake returns (float64,
# CPU); grader.engine.mistakes names the mistake when a failing result equals it.


def mistake_pad_order_tblr(X: torch.Tensor, padding: tuple[int, int, int, int], mode: str = "zeros") -> torch.Tensor:
    """Reads padding as (top, bottom, left, right): the first pair pads the rows, the second the
    columns."""
    top, bottom, left, right = padding
    return reference_pad2d(X, (left, right, top, bottom), mode)


def mistake_pad_one_side(X: torch.Tensor, padding: tuple[int, int, int, int], mode: str = "zeros") -> torch.Tensor:
    """Pads the left and the top only: right and bottom are ignored."""
    left, _right, top, _bottom = padding
    return reference_pad2d(X, (left, 0, top, 0), mode)


def mistake_pad_all_after(X: torch.Tensor, padding: tuple[int, int, int, int], mode: str = "zeros") -> torch.Tensor:
    """Puts all of each axis's padding after the input (right and bottom): the input lands in the
    top-left corner of the padded tensor, as with ``out[..., :H, :W] = X``."""
    left, right, top, bottom = padding
    return reference_pad2d(X, (0, left + right, 0, top + bottom), mode)


def mistake_reflect_as_replicate(X: torch.Tensor, padding: tuple[int, int, int, int],
                                 mode: str = "zeros") -> torch.Tensor:
    """Pads "reflect" by repeating the border pixel (what "replicate" does)."""
    return reference_pad2d(X, padding, "replicate" if mode == "reflect" else mode)


def mistake_replicate_as_reflect(X: torch.Tensor, padding: tuple[int, int, int, int],
                                 mode: str = "zeros") -> torch.Tensor:
    """Pads "replicate" by mirroring the input (what "reflect" does)."""
    return reference_pad2d(X, padding, "reflect" if mode == "replicate" else mode)


def mistake_circular_wrong_side(X: torch.Tensor, padding: tuple[int, int, int, int],
                                mode: str = "zeros") -> torch.Tensor:
    """Wraps "circular" from the near side: the left padding copies the first columns (instead of
    the last), the right padding the last ones, and likewise top and bottom."""
    if mode != "circular":
        return reference_pad2d(X, padding, mode)
    left, right, top, bottom = padding
    h, w = X.shape[-2:]
    rows = torch.cat([X[..., :top, :], X, X[..., h - bottom:, :]], dim=-2)
    return torch.cat([rows[..., :left], rows, rows[..., w - right:]], dim=-1)


PAD_MISTAKES = (
    Mistake(N_("padding read as (top, bottom, left, right)"), N_("padding is (left, right, top, bottom), as in "
            "F.pad: the first pair pads the last dimension (columns)"), mistake_pad_order_tblr),
    Mistake(N_("padding applied on one side only"), N_("pad all four sides: the result has H + top + bottom rows "
            "and W + left + right columns"), mistake_pad_one_side),
    Mistake(N_("all the padding put after the input (X in the top-left corner)"), N_("copy X to rows top:top+H "
            "and columns left:left+W of the padded tensor"), mistake_pad_all_after),
    Mistake(N_("reflect implemented as replicate"), N_("reflect mirrors without repeating the border pixel (row "
            "1 2 3, two on the left: 3 2 | 1 2 3); replicate repeats it (1 1 | 1 2 3)"), mistake_reflect_as_replicate),
    Mistake(N_("replicate implemented as reflect"), N_("replicate repeats the border pixel (row 1 2 3, two on the "
            "left: 1 1 | 1 2 3); reflect mirrors without repeating it (3 2 | 1 2 3)"), mistake_replicate_as_reflect),
    Mistake(N_("circular padding wrapped from the wrong side"), N_("circular padding on the left copies the LAST "
            "columns (X[..., W-left:]), on the right the first ones; likewise top and bottom"),
            mistake_circular_wrong_side),
)


def mistake_same_extra_pixel_before(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Puts the extra pixel of an odd total before: (total - total // 2, total // 2)."""
    before, after = reference_same_padding(kernel_size, dilation)
    return after, before


def mistake_same_dilation_ignored(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Computes the total as kernel_size - 1, whatever the dilation."""
    return reference_same_padding(kernel_size)


def mistake_same_total_per_side(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Returns the total padding for each side: (total, total)."""
    total = sum(reference_same_padding(kernel_size, dilation))
    return total, total


def mistake_same_true_division(kernel_size: int, dilation: int = 1) -> tuple[float, float]:
    """Halves the total with / : (total / 2, total / 2), floats that do not even add up to a
    whole pixel per side when the total is odd."""
    total = sum(reference_same_padding(kernel_size, dilation))
    return total / 2, total / 2


SAME_EXTRA_PIXEL_HINT = N_("torch puts total // 2 before and the rest after, so the extra pixel of an odd total "
                         "goes after (right or bottom)")
SAME_MISTAKES = (
    Mistake(N_("extra pixel of an odd total placed before"), SAME_EXTRA_PIXEL_HINT, mistake_same_extra_pixel_before),
    Mistake(N_("dilation ignored"), N_("a dilated kernel spans dilation * (kernel_size - 1) + 1 pixels: the total "
            "padding is dilation * (kernel_size - 1)"), mistake_same_dilation_ignored),
    Mistake(N_("the total padding returned for each side"), N_("the total dilation * (kernel_size - 1) is split "
            "between the two sides: before = total // 2, after = total - before"), mistake_same_total_per_side),
    Mistake(N_("/ instead of //"), N_("paddings are ints: before = total // 2 (floor division), after = total - "
            "before"), mistake_same_true_division),
)


def swapped(value: Any) -> Any:
    """An (h, w) pair read as (w, h); ints and padding strings are unaffected."""
    return value if isinstance(value, (int, str)) else strategies.as_pair(value)[::-1]


def explicit_sides(K: torch.Tensor, padding: Any, dilation: Any) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) as torch pads for ``padding`` (an int, a pair, "valid" or "same")."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        (top, bottom), (left, right) = (reference_same_padding(k, d) for k, d in
                                        zip(K.shape, strategies.as_pair(dilation)))
        return left, right, top, bottom
    ph, pw = strategies.as_pair(padding)
    return pw, pw, ph, ph


def padded_then_valid(X: torch.Tensor, K: torch.Tensor, sides: tuple[int, int, int, int], stride: Any,
                      dilation: Any) -> torch.Tensor:
    """X zero-padded by sides = (left, right, top, bottom), then convolved without padding."""
    return reference_conv2d_strided(F.pad(X, sides), K, stride, 0, dilation)


def mistake_strided_stride_ignored(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                   dilation: Any = 1) -> torch.Tensor:
    """Moves the window one pixel at a time whatever the stride."""
    return reference_conv2d_strided(X, K, 1, padding, dilation)


def mistake_strided_dilation_ignored(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                     dilation: Any = 1) -> torch.Tensor:
    """Reads adjacent pixels whatever the dilation (also when placing "same")."""
    return reference_conv2d_strided(X, K, stride, padding, 1)


def mistake_strided_stride_swapped(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                   dilation: Any = 1) -> torch.Tensor:
    """Unpacks the stride as ``sw, sh = stride``."""
    return reference_conv2d_strided(X, K, swapped(stride), padding, dilation)


def mistake_strided_padding_swapped(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                    dilation: Any = 1) -> torch.Tensor:
    """Unpacks the padding as ``pw, ph = padding``."""
    return reference_conv2d_strided(X, K, stride, swapped(padding), dilation)


def mistake_strided_dilation_swapped(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                     dilation: Any = 1) -> torch.Tensor:
    """Unpacks the dilation as ``dw, dh = dilation``."""
    return reference_conv2d_strided(X, K, stride, padding, swapped(dilation))


def mistake_strided_sides_swapped(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                  dilation: Any = 1) -> torch.Tensor:
    """Reads every (h, w) pair (stride, padding, dilation) as (w, h)."""
    return reference_conv2d_strided(X, K, swapped(stride), swapped(padding), swapped(dilation))


def mistake_strided_one_side(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                             dilation: Any = 1) -> torch.Tensor:
    """Pads p pixels at the top and on the left only, none at the bottom or on the right;
    "same" and "valid" are right."""
    if isinstance(padding, str):
        return reference_conv2d_strided(X, K, stride, padding, dilation)
    ph, pw = strategies.as_pair(padding)
    return padded_then_valid(X, K, (pw, 0, ph, 0), stride, dilation)


def mistake_strided_all_after(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                              dilation: Any = 1) -> torch.Tensor:
    """Puts all 2p pixels of padding after the input (bottom and right), as with
    ``Xp[:H, :W] = X`` in a zero tensor of the padded size; "same" and "valid" are right."""
    if isinstance(padding, str):
        return reference_conv2d_strided(X, K, stride, padding, dilation)
    ph, pw = strategies.as_pair(padding)
    return padded_then_valid(X, K, (0, 2 * pw, 0, 2 * ph), stride, dilation)


def mistake_strided_total_per_side(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                   dilation: Any = 1) -> torch.Tensor:
    """Pads 2p pixels on each side (the total padding of the axis, on both of its sides)."""
    if isinstance(padding, str):
        return reference_conv2d_strided(X, K, stride, padding, dilation)
    ph, pw = strategies.as_pair(padding)
    return reference_conv2d_strided(X, K, stride, (2 * ph, 2 * pw), dilation)


def mistake_strided_padding_halved(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                   dilation: Any = 1) -> torch.Tensor:
    """Takes padding=p as the total of the axis and pads p // 2 pixels on each side."""
    if isinstance(padding, str):
        return reference_conv2d_strided(X, K, stride, padding, dilation)
    ph, pw = strategies.as_pair(padding)
    return reference_conv2d_strided(X, K, stride, (ph // 2, pw // 2), dilation)


def mistake_strided_one_too_small(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                  dilation: Any = 1) -> torch.Tensor:
    """Sizes the output (Hp - dh*(kh-1) - 1) // sh without the + 1: the last row and column
    are missing."""
    return reference_conv2d_strided(X, K, stride, padding, dilation)[:-1, :-1]


def mistake_strided_same_extra_pixel_before(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                            dilation: Any = 1) -> torch.Tensor:
    """Pads "same" with the extra pixel of an odd total before the input (top, left) instead of
    after."""
    if padding != "same":
        return reference_conv2d_strided(X, K, stride, padding, dilation)
    left, right, top, bottom = explicit_sides(K, padding, dilation)
    return padded_then_valid(X, K, (right, left, bottom, top), stride, dilation)


def half_kernel_sides(kernel_hw: tuple[int, int], dilation: Any) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) = k // 2 on every side, k the dilated kernel's span: the rule
    for "same" that is right only for odd spans (for even ones it pads one pixel too many)."""
    (kh, kw), (dh, dw) = kernel_hw, strategies.as_pair(dilation)
    top, left = (dh * (kh - 1) + 1) // 2, (dw * (kw - 1) + 1) // 2
    return left, left, top, top


def mistake_strided_same_half_kernel(X: torch.Tensor, K: torch.Tensor, stride: Any = 1, padding: Any = 0,
                                     dilation: Any = 1) -> torch.Tensor:
    """Pads "same" with k // 2 pixels on each side (``ph = int(kh / 2)``): an even kernel's output
    comes out one row or column too large."""
    if padding != "same":
        return reference_conv2d_strided(X, K, stride, padding, dilation)
    return padded_then_valid(X, K, half_kernel_sides(tuple(K.shape), dilation), stride, dilation)


def window_strided(call: Call, entry: tuple[int, ...]) -> Window:
    """Y[i, j] reads the padded input Xp at rows i*sh + a*dh, columns j*sw + b*dw."""
    a = arguments(call, reference_conv2d_strided)
    left, _right, top, _bottom = explicit_sides(a["K"], a["padding"], a["dilation"])
    return spatial_window(entry, tuple(a["K"].shape), stride=a["stride"], dilation=a["dilation"], before=(top, left))


SAME_HALF_KERNEL = (N_('"same" padding as k // 2 on each side (one pixel too many for an even kernel)'),
                    N_('"same" pads d*(k-1) pixels in all, total // 2 before and the rest after; k // 2 on both '
                       'sides is right only for an odd kernel'))

SWAP_HINT = N_("an (h, w) pair is (rows, columns): stride[0], padding[0] and dilation[0] act along H")
STRIDED_MISTAKES = (
    Mistake(N_("padding on one side only"), N_("pad p pixels on EACH side: the padded input has H + 2p rows and "
            "W + 2p columns"), mistake_strided_one_side),
    Mistake(N_("all the padding put after the input (X in the top-left corner)"), N_("copy X to rows p:p+H and "
            "columns p:p+W of the padded input"), mistake_strided_all_after),
    Mistake(N_("the total padding put on each side (2p instead of p)"), N_("padding=p adds p pixels on EACH side, "
            "2p in all: Hp = H + 2p"), mistake_strided_total_per_side),
    Mistake(N_("padding taken as the total (p // 2 on each side)"), N_("padding=p is per side, not the total: p "
            "pixels at the top AND p at the bottom, Hp = H + 2p"), mistake_strided_padding_halved),
    Mistake(*SAME_HALF_KERNEL, mistake_strided_same_half_kernel),
    Mistake(N_("stride ignored"), N_("the window moves `stride` pixels at a time: output (i, j) starts at "
            "Xp[i*sh, j*sw], and there are (Hp - dh*(kh-1) - 1) // sh + 1 rows"), mistake_strided_stride_ignored),
    Mistake(N_("dilation ignored"), N_("a dilated kernel reads every d-th pixel: tap (a, b) reads Xp[i*sh + a*dh, "
            "j*sw + b*dw], spanning dh*(kh-1)+1 rows"), mistake_strided_dilation_ignored),
    # one pair swapped before all of them: where only one pair is asymmetric the two coincide
    Mistake(N_("stride read as (w, h)"), SWAP_HINT, mistake_strided_stride_swapped),
    Mistake(N_("padding read as (w, h)"), SWAP_HINT, mistake_strided_padding_swapped),
    Mistake(N_("dilation read as (w, h)"), SWAP_HINT, mistake_strided_dilation_swapped),
    Mistake(N_("height and width swapped (every (h, w) pair read as (w, h))"), SWAP_HINT,
            mistake_strided_sides_swapped),
    Mistake(N_("output one row and one column too small"), N_("there are (Hp - dh*(kh-1) - 1) // sh + 1 rows: the "
            "+ 1 counts the first window"), mistake_strided_one_too_small),
    Mistake(N_('"same" puts the extra pixel of an even kernel first'), SAME_EXTRA_PIXEL_HINT,
            mistake_strided_same_extra_pixel_before),
)


# --- valid inputs --------------------------------------------------------------------------------


def pad_limit(size: int, mode: str) -> int:
    """The largest padding torch accepts on a side of ``size`` pixels in ``mode`` (reflect: less
    than the size; circular: at most the size), capped small for readable examples."""
    return min(4, {"reflect": size - 1, "circular": size}.get(mode, 4))


@st.composite
def pad_calls(draw: Any) -> Call:
    """Any leading dimensions (none: a plain matrix), distinct H and W, asymmetric paddings
    including 0, each within torch's limit for the mode."""
    mode = draw(st.sampled_from(MODES))
    lead = draw(st.lists(st.integers(1, 2), max_size=2))
    h, w = draw(strategies.sizes(1, 5)), draw(strategies.sizes(1, 6))
    left, right = (draw(st.integers(0, pad_limit(w, mode))) for _side in range(2))
    top, bottom = (draw(st.integers(0, pad_limit(h, mode))) for _side in range(2))
    X = draw(strategies.tensors((*lead, h, w)))
    return Call((X, (left, right, top, bottom)), {} if mode == "zeros" else {"mode": mode})


def same_padding_grid() -> tuple[Call, ...]:
    """Every kernel size up to 10 and dilation up to 4, smallest total first; dilation 1 is
    left to the default."""
    calls = [Call((k,), {} if d == 1 else {"dilation": d}) for k in range(1, 11) for d in range(1, 5)]
    return tuple(sorted(calls, key=lambda c: (c.args[0] - 1) * c.kwargs.get("dilation", 1)))


def side_for(kernel: int, stride: int, padding: int | str, dilation: int) -> st.SearchStrategy[int]:
    """An input side that leaves at least one output position, covering every remainder
    modulo the stride (where off-by-one output sizes show)."""
    lo = 1 if padding == "same" else max(1, strategies.span(kernel, dilation) - 2 * padding)
    return st.integers(lo, max(lo + stride, strategies.MAX_SIDE))


@st.composite
def strided_calls(draw: Any) -> Call:
    """Padding first (an int, an (h, w) pair, "valid" or "same"), then a stride (1 for "same"),
    a dilation, a kernel whose dilated span stays within 7, then input sides; h and w drawn
    independently throughout."""
    padding = draw(st.sampled_from(("int", "pair", "valid", "same")))
    if padding in ("int", "pair"):
        padding = draw(st.integers(0, 2) if padding == "int" else strategies.pairs(st.integers(0, 2)))
    stride = draw(st.sampled_from((1, (1, 1))) if padding == "same" else strategies.int_or_pair(strategies.strides()))
    sh, sw = strategies.as_pair(stride)
    dilation = draw(strategies.int_or_pair(strategies.dilations()))
    dh, dw = strategies.as_pair(dilation)
    kh, kw = (draw(st.integers(1, min(4, 1 + 6 // d))) for d in (dh, dw))
    if isinstance(padding, str):
        ph = pw = 0 if padding == "valid" else padding
    else:
        ph, pw = strategies.as_pair(padding)
    h = draw(side_for(kh, sh, ph, dh))
    w = draw(side_for(kw, sw, pw, dw))
    kwargs = {name: value for name, value, default in (("stride", stride, 1), ("padding", padding, 0),
                                                      ("dilation", dilation, 1)) if value != default}
    return Call((draw(strategies.tensors((h, w))), draw(strategies.tensors((kh, kw)))), kwargs)


# --- pinned examples ------------------------------------------------------------------------------


def ramp(*shape: int) -> torch.Tensor:
    """0, 1, 2, ... in ``shape``: every entry distinct, so a misplaced one shows."""
    return torch.arange(float(torch.Size(shape).numel()), dtype=torch.float64).reshape(shape)


PAD_EXAMPLES = (
    Call((ramp(3, 4), (2, 1, 2, 0)), {"mode": "reflect"}, label=N_("reflect, a 3x4 matrix, uneven sides")),
    Call((ramp(3, 4), (2, 1, 2, 0)), {"mode": "replicate"}, label=N_("replicate, the same matrix")),
    Call((ramp(2, 3, 4), (4, 1, 3, 0)), {"mode": "circular"}, label=N_("circular, padding equal to the sizes")),
    Call((ramp(2, 1, 3, 2), (0, 2, 1, 0)), {"mode": "zeros"}, label=N_('mode="zeros" given, 4-D input')),
    Call((ramp(2, 3), (4, 0, 0, 3)), {"mode": "replicate"}, label=N_("replicate, padding wider than the input")),
)

PAD_ERRORS = (
    ErrorCase(Call((ramp(3, 4), (4, 0, 0, 0)), {"mode": "reflect"}),
              N_("reflect padding 4 on a side of 4 columns")),
    ErrorCase(Call((ramp(2, 3, 4), (0, 0, 0, 3)), {"mode": "reflect"}),
              N_("reflect padding 3 on a side of 3 rows")),
    ErrorCase(Call((ramp(3, 4), (0, 5, 0, 0)), {"mode": "circular"}),
              N_("circular padding 5 on a side of 4 columns (it would wrap around twice)")),
)

STRIDED_EXAMPLES = (
    Call((ramp(5, 7), ramp(2, 3)), {"stride": (2, 3), "padding": (1, 0)},
         label=N_("a 5x7 input, stride (2, 3), padding (1, 0)")),
    Call((ramp(6, 4), ramp(2, 2)), {"dilation": (2, 1)}, label=N_("dilation (2, 1)")),
    Call((ramp(4, 5), ramp(2, 4)), {"padding": "same"}, label=N_('padding="same" with an even 2x4 kernel')),
    Call((ramp(4, 6), ramp(3, 2)), {"padding": "same", "dilation": (1, 3)},
         label=N_('padding="same", dilation (1, 3)')),
    Call((ramp(7, 6), ramp(3, 3)), {"stride": 2}, label=N_("7x6 input, 3x3 kernel, stride 2")),
    Call((ramp(3, 4), ramp(3, 3)), {"padding": 2}, label=N_("padding 2 on every side")),
)

STRIDED_ERRORS = (
    ErrorCase(Call((ramp(4, 4), ramp(3, 3)), {"stride": 2, "padding": "same"}),
              N_('padding="same" with stride 2')),
    ErrorCase(Call((ramp(4, 5), ramp(3, 3)), {"stride": (1, 2), "padding": "same"}),
              N_('padding="same" with stride (1, 2)')),
    ErrorCase(Call((ramp(3, 3), ramp(4, 2))), N_("a 4x2 kernel on a 3x3 input without padding")),
    ErrorCase(Call((ramp(4, 4), ramp(2, 2)), {"dilation": (1, 4)}),
              N_("dilation (1, 4) makes the 2x2 kernel span 5 columns of a 4-column input")),
)


# --- checks ----------------------------------------------------------------------------------------


def run_same_padding_grid(task: Task, ctx: Context) -> None:
    for call in same_padding_grid():
        judge_call(task, ctx, call, Variant())


register(Exercise(
    module="ex03_padding_stride",
    title=N_("Padding and stride"),
    notes=N_(r"""Padding adds pixels around the input: `(left, right, top, bottom)` of them, filled
with zeros or, padding the row 1 2 3 with two pixels on the left, with its mirror image without
repeating the border (`reflect`: 3 2 1 2 3), with copies of the border pixel (`replicate`:
1 1 1 2 3) or by wrapping around (`circular`: 2 3 1 2 3). With stride $s$ the kernel moves $s$ pixels at a time; with dilation $d$ its taps
are $d$ pixels apart, so it spans $d(k-1)+1$ pixels. Along one axis the output has
$\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1$ positions. `padding="same"` keeps $n$ outputs at
stride 1 by padding $d(k-1)$ pixels in all; when that is odd, torch puts the extra pixel after
(right or bottom)."""),
    tasks=(
        Task(
            name="pad2d",
            summary=N_("pad the last two dimensions: (left, right, top, bottom) in one of four modes"),
            calls=pad_calls,
            reference=reference_pad2d,
            examples=PAD_EXAMPLES,
            error_cases=PAD_ERRORS,
            mistakes=PAD_MISTAKES,
            checks=(*checks.standard(), checks.raises_like_torch()),
            hint=N_("the result has H + top + bottom rows and W + left + right columns; reflect mirrors "
                    "without repeating the border, replicate repeats it, circular wraps around. Torch raises "
                    "RuntimeError for reflect padding >= the size and circular padding > the size"),
        ),
        Task(
            name="same_padding",
            summary=N_('(before, after) of padding="same" along one axis, placed as torch places it'),
            reference=reference_same_padding,
            forbidden=None,
            mistakes=SAME_MISTAKES,
            checks=(Check("matches_torch", N_('every kernel size <= 10 and dilation <= 4: (before, after) as ints, '
                                              'where torch\'s padding="same" puts them'), 2, run_same_padding_grid),),
            hint=N_("total = dilation * (kernel_size - 1); before = total // 2, after = the rest (the extra "
                    "pixel of an odd total goes after)"),
        ),
        Task(
            name="conv2d_strided",
            summary=N_("single-channel 2-D convolution with stride, padding and dilation"),
            calls=strided_calls,
            reference=reference_conv2d_strided,
            examples=STRIDED_EXAMPLES,
            error_cases=STRIDED_ERRORS,
            mistakes=STRIDED_MISTAKES,
            window=window_strided,
            checks=(*checks.standard(3), checks.raises_like_torch()),
            hint=N_("pad first (p pixels on each side, or same_padding's split for \"same\"); then output (i, j) "
                    "is the sum of K[a, b] * Xp[i*sh + a*dh, j*sw + b*dw], with "
                    "(Hp - dh*(kh-1) - 1) // sh + 1 rows"),
        ),
    ),
))
