"""ex03: padding (four modes, any leading dimensions), where padding="same" puts its pixels, and
a single-channel convolution with stride, padding and dilation."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader import checks, strategies
from grader.context import Context
from grader.exercise import Call, Check, ErrorCase, Exercise, Task
from grader.judge import Variant, judge_call
from grader.registry import register

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
    left, right = (draw(st.integers(0, pad_limit(w, mode))) for _ in range(2))
    top, bottom = (draw(st.integers(0, pad_limit(h, mode))) for _ in range(2))
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
    Call((ramp(3, 4), (2, 1, 2, 0)), {"mode": "reflect"}, label="reflect, a 3x4 matrix, uneven sides"),
    Call((ramp(3, 4), (2, 1, 2, 0)), {"mode": "replicate"}, label="replicate, the same matrix"),
    Call((ramp(2, 3, 4), (4, 1, 3, 0)), {"mode": "circular"}, label="circular, padding equal to the sizes"),
    Call((ramp(2, 1, 3, 2), (0, 2, 1, 0)), {"mode": "zeros"}, label='mode="zeros" given, 4-D input'),
    Call((ramp(2, 3), (4, 0, 0, 3)), {"mode": "replicate"}, label="replicate, padding wider than the input"),
)

PAD_ERRORS = (
    ErrorCase(Call((ramp(3, 4), (4, 0, 0, 0)), {"mode": "reflect"}), "reflect padding 4 on a side of 4 columns"),
    ErrorCase(Call((ramp(2, 3, 4), (0, 0, 0, 3)), {"mode": "reflect"}), "reflect padding 3 on a side of 3 rows"),
    ErrorCase(Call((ramp(3, 4), (0, 5, 0, 0)), {"mode": "circular"}),
              "circular padding 5 on a side of 4 columns (it would wrap around twice)"),
)

STRIDED_EXAMPLES = (
    Call((ramp(5, 7), ramp(2, 3)), {"stride": (2, 3), "padding": (1, 0)},
         label="a 5x7 input, stride (2, 3), padding (1, 0)"),
    Call((ramp(6, 4), ramp(2, 2)), {"dilation": (2, 1)}, label="dilation (2, 1)"),
    Call((ramp(4, 5), ramp(2, 4)), {"padding": "same"}, label='padding="same" with an even 2x4 kernel'),
    Call((ramp(4, 6), ramp(3, 2)), {"padding": "same", "dilation": (1, 3)},
         label='padding="same", dilation (1, 3)'),
    Call((ramp(7, 6), ramp(3, 3)), {"stride": 2}, label="7x6 input, 3x3 kernel, stride 2"),
    Call((ramp(3, 4), ramp(3, 3)), {"padding": 2}, label="padding 2 on every side"),
)

STRIDED_ERRORS = (
    ErrorCase(Call((ramp(4, 4), ramp(3, 3)), {"stride": 2, "padding": "same"}), 'padding="same" with stride 2'),
    ErrorCase(Call((ramp(4, 5), ramp(3, 3)), {"stride": (1, 2), "padding": "same"}),
              'padding="same" with stride (1, 2)'),
    ErrorCase(Call((ramp(3, 3), ramp(4, 2))), "a 4x2 kernel on a 3x3 input without padding"),
    ErrorCase(Call((ramp(4, 4), ramp(2, 2)), {"dilation": (1, 4)}),
              "dilation (1, 4) makes the 2x2 kernel span 5 columns of a 4-column input"),
)


# --- checks ----------------------------------------------------------------------------------------


def run_same_padding_grid(task: Task, ctx: Context) -> None:
    for call in same_padding_grid():
        judge_call(task, ctx, call, Variant())


register(Exercise(
    module="ex03_padding_stride",
    title="Padding and stride",
    notes=r"""Padding adds pixels around the input: `(left, right, top, bottom)` of them, filled
with zeros or, padding the row 1 2 3 with two pixels on the left, with its mirror image without
repeating the border (`reflect`: 3 2 1 2 3), with copies of the border pixel (`replicate`:
1 1 1 2 3) or by wrapping around (`circular`: 2 3 1 2 3). With stride $s$ the kernel moves $s$ pixels at a time; with dilation $d$ its taps
are $d$ pixels apart, so it spans $d(k-1)+1$ pixels. Along one axis the output has
$\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1$ positions. `padding="same"` keeps $n$ outputs at
stride 1 by padding $d(k-1)$ pixels in all; when that is odd, torch puts the extra pixel after
(right or bottom).""",
    tasks=(
        Task(
            name="pad2d",
            summary="pad the last two dimensions: (left, right, top, bottom) in one of four modes",
            calls=pad_calls,
            reference=reference_pad2d,
            examples=PAD_EXAMPLES,
            error_cases=PAD_ERRORS,
            checks=(*checks.standard(), checks.raises_like_torch()),
            hint="the result has H + top + bottom rows and W + left + right columns; reflect mirrors "
                 "without repeating the border, replicate repeats it, circular wraps around. Torch raises "
                 "RuntimeError for reflect padding >= the size and circular padding > the size",
        ),
        Task(
            name="same_padding",
            summary='(before, after) of padding="same" along one axis, placed as torch places it',
            reference=reference_same_padding,
            forbidden=None,
            checks=(Check("matches_torch", 'every kernel size <= 10 and dilation <= 4: (before, after) as ints, '
                          'where torch\'s padding="same" puts them', 2, run_same_padding_grid),),
            hint="total = dilation * (kernel_size - 1); before = total // 2, after = the rest (the extra "
                 "pixel of an odd total goes after)",
        ),
        Task(
            name="conv2d_strided",
            summary="single-channel 2-D convolution with stride, padding and dilation",
            calls=strided_calls,
            reference=reference_conv2d_strided,
            examples=STRIDED_EXAMPLES,
            error_cases=STRIDED_ERRORS,
            checks=(*checks.standard(3), checks.raises_like_torch()),
            hint="pad first (p pixels on each side, or same_padding's split for \"same\"); then output (i, j) "
                 "is the sum of K[a, b] * Xp[i*sh + a*dh, j*sw + b*dw], with "
                 "(Hp - dh*(kh-1) - 1) // sh + 1 rows",
        ),
    ),
))
