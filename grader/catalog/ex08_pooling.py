"""ex08: 2-D max and average pooling by hand, with torch's semantics for stride=None, padding,
dilation (max only), ceil_mode (and its last-window rule) and count_include_pad (avg only)."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.api import (
    N_,
    Call,
    ErrorCase,
    Exercise,
    Mistake,
    Task,
    Window,
    arguments,
    checks,
    register,
    spatial_window,
    strategies,
)


def reference_max_pool2d(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                         dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """(N, C, H, W) or (C, H, W) -> the same rank: torch's max pooling."""
    return F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def reference_avg_pool2d(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                         ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """(N, C, H, W) or (C, H, W) -> the same rank: torch's average pooling."""
    return F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def axis_windows(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool,
                 last_window_rule: bool = True) -> list[list[int]]:
    """For each output position along one axis, the input indices its window covers (negative or
    at least ``n`` where it lies in the padding or, with ceil_mode, past it)."""
    count = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and last_window_rule and (count - 1) * s >= n + p:
        count -= 1
    return [[o * s - p + d * i for i in range(k)] for o in range(max(count, 0))]


def pool_by_hand(input: torch.Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: bool, *, average: bool, count_include_pad: bool = True, pad_value: float = -math.inf,
                 last_window_rule: bool = True) -> torch.Tensor:
    """Pooling window by window, laid out as torch lays it out, for the mistakes that are not a
    change of arguments. Max: the largest input pixel of the window, or ``pad_value`` if larger and
    the window covers padding (-inf for a window with no input pixel). Average: the sum of its
    input pixels over the number of its pixels inside the padded input (``count_include_pad``)
    or inside the input (0/0 gives NaN). With the default knobs it equals torch."""
    x = input if input.dim() == 4 else input[None]
    pads = strategies.as_pair(padding)
    axes = [axis_windows(n, k, s, p, d, ceil_mode, last_window_rule) for n, k, s, p, d in
            zip(x.shape[-2:], strategies.as_pair(kernel_size),
                strategies.as_pair(kernel_size if stride is None else stride), pads, strategies.as_pair(dilation))]
    inside = [[[i for i in window if 0 <= i < n] for window in windows] for windows, n in zip(axes, x.shape[-2:])]
    padded = [[[i for i in window if -p <= i < n + p] for window in windows]
              for windows, n, p in zip(axes, x.shape[-2:], pads)]
    out = x.new_empty(*x.shape[:2], len(axes[0]), len(axes[1]))
    for i, (rows, padded_rows) in enumerate(zip(inside[0], padded[0])):
        for j, (cols, padded_cols) in enumerate(zip(inside[1], padded[1])):
            window = x[..., torch.tensor(rows, dtype=torch.long), :][..., torch.tensor(cols, dtype=torch.long)]
            window = window.flatten(-2)
            covers_padding = len(padded_rows) * len(padded_cols) > window.shape[-1]
            if average:
                divisor = len(padded_rows) * len(padded_cols) if count_include_pad else window.shape[-1]
                out[..., i, j] = window.sum(-1) / torch.tensor(float(divisor), dtype=x.dtype)
            else:
                extra = [pad_value, -math.inf] if covers_padding else [-math.inf]
                out[..., i, j] = torch.cat((window, window.new_tensor(extra).expand(*x.shape[:2], -1)), -1).amax(-1)
    return out if input.dim() == 4 else out[0]


def swap_pair(value: Any) -> Any:
    """``(h, w)`` -> ``(w, h)``; an int or None unchanged."""
    return value if value is None or isinstance(value, int) else tuple(value)[::-1]


def mistake_max_stride_none_as_one(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                   dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Takes stride=None as stride 1 instead of stride = kernel_size: overlapping windows."""
    return reference_max_pool2d(input, kernel_size, 1 if stride is None else stride, padding, dilation, ceil_mode)


def mistake_max_zero_padding(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                             dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Pads with zeros instead of -inf, so a window of negative pixels touching the padding gives 0."""
    return pool_by_hand(input, kernel_size, stride, padding, dilation, ceil_mode, average=False, pad_value=0.0)


def mistake_max_ceil_mode_ignored(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                  dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Always counts windows with the floor, as if ceil_mode were False."""
    return reference_max_pool2d(input, kernel_size, stride, padding, dilation, False)


def mistake_max_no_last_window_rule(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                    dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """With ceil_mode, keeps a last window that starts in the right padding or past it (an extra
    row or column of -inf)."""
    return pool_by_hand(input, kernel_size, stride, padding, dilation, ceil_mode, average=False,
                        last_window_rule=False)


def mistake_max_dilation_ignored(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                 dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Pools over contiguous windows whatever the dilation."""
    return reference_max_pool2d(input, kernel_size, stride, padding, 1, ceil_mode)


def mistake_max_sides_swapped(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                              dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Reads the kernel_size and stride pairs as (w, h): kw x kh windows, sw rows and sh columns apart."""
    return pool_by_hand(input, swap_pair(kernel_size), swap_pair(stride), padding, dilation, ceil_mode,
                        average=False)


def mistake_max_kernel_swapped(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                               dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Reads the kernel_size pair as (w, h), a given stride the right way round: kw x kh windows."""
    return pool_by_hand(input, swap_pair(kernel_size), stride, padding, dilation, ceil_mode, average=False)


def square_window(kernel_size: Any) -> Any:
    """``(kh, kw)`` -> ``(kh, kh)``: the window's height taken for its width too."""
    return kernel_size if isinstance(kernel_size, int) else (tuple(kernel_size)[0],) * 2


def mistake_max_square_window(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                              dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """kh x kh windows (``k = kernel_size[0]`` used for both sides), moving as the right ones do."""
    return pool_by_hand(input, square_window(kernel_size), kernel_size if stride is None else stride, padding,
                        dilation, ceil_mode, average=False)


def mistake_max_stride_swapped(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                               dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Reads the stride pair as (w, h), the kernel the right way round: windows sw rows and sh columns apart."""
    return pool_by_hand(input, kernel_size, swap_pair(stride), padding, dilation, ceil_mode, average=False)


def mistake_avg_stride_none_as_one(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                   ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """Takes stride=None as stride 1 instead of stride = kernel_size: overlapping windows."""
    return reference_avg_pool2d(input, kernel_size, 1 if stride is None else stride, padding, ceil_mode,
                                count_include_pad)


def mistake_avg_padding_never_counted(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                      ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """Ignores count_include_pad and always divides by the input pixels alone, as if it were False."""
    return reference_avg_pool2d(input, kernel_size, stride, padding, ceil_mode, False)


def mistake_avg_padding_always_counted(input: torch.Tensor, kernel_size: Any, stride: Any = None,
                                       padding: Any = 0, ceil_mode: bool = False,
                                       count_include_pad: bool = True) -> torch.Tensor:
    """Ignores count_include_pad and always counts the padding in the divisor, as if it were True."""
    return reference_avg_pool2d(input, kernel_size, stride, padding, ceil_mode, True)


def mistake_avg_ceil_mode_ignored(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                  ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """Always counts windows with the floor, as if ceil_mode were False."""
    return reference_avg_pool2d(input, kernel_size, stride, padding, False, count_include_pad)


def mistake_avg_no_last_window_rule(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                    ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """With ceil_mode, keeps a last window that starts in the right padding or past it (an extra
    row or column of 0, or NaN where nothing is counted)."""
    return pool_by_hand(input, kernel_size, stride, padding, 1, ceil_mode, average=True,
                        count_include_pad=count_include_pad, last_window_rule=False)


def mistake_avg_sides_swapped(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                              ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """Reads the kernel_size and stride pairs as (w, h): kw x kh windows, sw rows and sh columns apart."""
    return pool_by_hand(input, swap_pair(kernel_size), swap_pair(stride), padding, 1, ceil_mode, average=True,
                        count_include_pad=count_include_pad)


def mistake_avg_square_window(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                              ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """kh x kh windows (``k = kernel_size[0]`` used for both sides), moving as the right ones do."""
    return pool_by_hand(input, square_window(kernel_size), kernel_size if stride is None else stride, padding, 1,
                        ceil_mode, average=True, count_include_pad=count_include_pad)


def mistake_avg_kernel_swapped(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                               ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """Reads the kernel_size pair as (w, h), a given stride the right way round: kw x kh windows."""
    return pool_by_hand(input, swap_pair(kernel_size), stride, padding, 1, ceil_mode, average=True,
                        count_include_pad=count_include_pad)


def mistake_avg_stride_swapped(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                               ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """Reads the stride pair as (w, h), the kernel the right way round: windows sw rows and sh columns apart."""
    return pool_by_hand(input, kernel_size, swap_pair(stride), padding, 1, ceil_mode, average=True,
                        count_include_pad=count_include_pad)


def mistake_avg_full_kernel_divisor(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                                    ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """With count_include_pad, divides every window by kh*kw, even a ceil_mode window that runs
    past the padded input (torch divides it by its part inside the padded input)."""
    kh, kw = strategies.as_pair(kernel_size)
    return F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        kh * kw if count_include_pad else None)


STRIDE_NONE_HINT = N_("stride=None means stride = kernel_size (non-overlapping windows), not 1")
CEIL_HINT = N_("with ceil_mode, round the number of windows up: (n + 2p - d*(k-1) - 1 + s - 1) // s + 1, "
                "minus one if the last window would start at (out-1)*s >= n + p")
LAST_WINDOW_HINT = N_("with ceil_mode, drop the last window when it would start in the right padding or past it: "
                       "if (out - 1) * s >= n + p: out -= 1")
# A swap shows only where the pair is asymmetric: on a counterexample where one swap alone explains
# the result, that one is named (a combined swap with stride None is the kernel's swap).
SWAP_HINT = N_("an (h, w) pair gives the height first: kh, kw = kernel_size and sh, sw = stride")
SQUARE = (N_("square window: the kernel's height used for its width too"),
          N_("a window is kh rows by kw columns: kh, kw = kernel_size, and slice [i*sh : i*sh + kh, j*sw : j*sw + kw]"))

MAX_MISTAKES = (
    Mistake(N_("stride=None taken as 1"), STRIDE_NONE_HINT, mistake_max_stride_none_as_one),
    Mistake(N_("padded with zeros instead of -inf"), N_("pad with float('-inf') (or skip the padding): a padded "
                                                        "pixel must never be the maximum"), mistake_max_zero_padding),
    Mistake(N_("ceil_mode ignored"), CEIL_HINT, mistake_max_ceil_mode_ignored),
    Mistake(N_("ceil_mode without torch's last-window rule"), LAST_WINDOW_HINT, mistake_max_no_last_window_rule),
    Mistake(N_("dilation ignored"), N_("a window takes every d-th pixel: rows i*s - p + d*a for a in range(kh), "
                                       "and spans d*(k-1)+1 pixels"), mistake_max_dilation_ignored),
    Mistake(N_("height and width swapped in kernel_size"), SWAP_HINT, mistake_max_kernel_swapped),
    Mistake(N_("height and width swapped in stride"), SWAP_HINT, mistake_max_stride_swapped),
    Mistake(N_("height and width swapped in kernel_size and stride"), SWAP_HINT, mistake_max_sides_swapped),
    Mistake(*SQUARE, mistake_max_square_window),
)

AVG_MISTAKES = (
    Mistake(N_("stride=None taken as 1"), STRIDE_NONE_HINT, mistake_avg_stride_none_as_one),
    Mistake(N_("count_include_pad ignored (padding never counted)"),
            N_("with count_include_pad=True the divisor counts the padded pixels of the window too (only the "
               "part past the padded input is left out)"),
            mistake_avg_padding_never_counted),
    Mistake(N_("count_include_pad ignored (padding always counted)"),
            N_("with count_include_pad=False divide by the number of real input pixels in the window, not by its "
               "size"), mistake_avg_padding_always_counted),
    Mistake(N_("ceil_mode ignored"), CEIL_HINT, mistake_avg_ceil_mode_ignored),
    Mistake(N_("ceil_mode without torch's last-window rule"), LAST_WINDOW_HINT, mistake_avg_no_last_window_rule),
    Mistake(N_("height and width swapped in kernel_size"), SWAP_HINT, mistake_avg_kernel_swapped),
    Mistake(N_("height and width swapped in stride"), SWAP_HINT, mistake_avg_stride_swapped),
    Mistake(N_("height and width swapped in kernel_size and stride"), SWAP_HINT, mistake_avg_sides_swapped),
    Mistake(*SQUARE, mistake_avg_square_window),
    Mistake(N_("divisor always kh*kw"), N_("a ceil_mode window that runs past the padded input is divided by its "
                                           "part inside it: min(start + k, n + p) - start per axis, start = i*s - p"),
            mistake_avg_full_kernel_divisor),
)


def dilations_for(kernel: int) -> st.SearchStrategy[int]:
    """Dilations that keep the dilated window at most 7 pixels wide, so inputs stay printable."""
    return st.integers(1, min(3, 1 + 5 // max(kernel - 1, 1)))


def pool_strides() -> st.SearchStrategy[int | tuple[int, int] | None]:
    """None (stride = kernel), an int or an (h, w) pair."""
    return st.one_of(st.none(), strategies.int_or_pair(strategies.strides()))


def paddings_for(kh: int, kw: int) -> st.SearchStrategy[int | tuple[int, int]]:
    """Paddings torch accepts: at most half the kernel on each axis (an int must suit both)."""
    return st.one_of(st.integers(0, min(kh, kw) // 2),
                     st.tuples(st.integers(0, kh // 2), st.integers(0, kw // 2)))


@st.composite
def pooled_input(draw: Any, spans: tuple[int, int], pads: tuple[int, int]) -> torch.Tensor:
    """A batched (N, C, H, W) or unbatched (C, H, W) input with at least one window per axis.

    Half the time every entry is negative, so max pooling that pads with zeros shows."""
    h, w = (draw(st.integers(max(1, s - 2 * p), max(1, s - 2 * p) + 4)) for s, p in zip(spans, pads))
    lead = (draw(strategies.batches()),) if draw(st.booleans()) else ()
    x = draw(strategies.tensors((*lead, draw(strategies.channels()), h, w)))
    return -x.abs() - 0.5 if draw(st.booleans()) else x


def optional(draw: Any, kwargs: dict[str, Any], name: str, value: Any, default: Any) -> None:
    """Pass ``name=value`` unless it is the default, which is passed only sometimes (so the
    student's defaults are exercised too)."""
    if value != default or draw(st.booleans()):
        kwargs[name] = value


@st.composite
def max_pool_calls(draw: Any) -> Call:
    kernel = draw(strategies.int_or_pair(strategies.kernel_sides()))
    kh, kw = strategies.as_pair(kernel)
    dilation = draw(st.one_of(dilations_for(max(kh, kw)), st.tuples(dilations_for(kh), dilations_for(kw))))
    padding = draw(paddings_for(kh, kw))
    (dh, dw), (ph, pw) = strategies.as_pair(dilation), strategies.as_pair(padding)
    x = draw(pooled_input((strategies.span(kh, dh), strategies.span(kw, dw)), (ph, pw)))
    kwargs: dict[str, Any] = {}
    optional(draw, kwargs, "stride", draw(pool_strides()), None)
    optional(draw, kwargs, "padding", padding, 0)
    optional(draw, kwargs, "dilation", dilation, 1)
    optional(draw, kwargs, "ceil_mode", draw(st.booleans()), False)
    return Call((x, kernel), kwargs)


@st.composite
def avg_pool_calls(draw: Any) -> Call:
    kernel = draw(strategies.int_or_pair(strategies.kernel_sides()))
    kh, kw = strategies.as_pair(kernel)
    padding = draw(paddings_for(kh, kw))
    x = draw(pooled_input((kh, kw), strategies.as_pair(padding)))
    kwargs: dict[str, Any] = {}
    optional(draw, kwargs, "stride", draw(pool_strides()), None)
    optional(draw, kwargs, "padding", padding, 0)
    optional(draw, kwargs, "ceil_mode", draw(st.booleans()), False)
    optional(draw, kwargs, "count_include_pad", draw(st.booleans()), True)
    return Call((x, kernel), kwargs)


def grid(*shape: int, negative: bool = False) -> torch.Tensor:
    """1, 2, 3, ... laid out in ``shape`` (float64), or -1, -2, -3, ... when ``negative``."""
    x = torch.arange(1, 1 + torch.Size(shape).numel(), dtype=torch.float64).reshape(shape)
    return -x if negative else x


# Rows: kernel 2, stride 2, padding 1 on 3 rows: the naive ceil formula gives a third window
# starting at row 3, past the input, which torch drops. Columns: 5 columns, no padding: ceil_mode
# adds a third window starting at column 4 that runs past the input (clipped to one column).
CEIL_ARGS = dict(stride=2, padding=(1, 0), ceil_mode=True)

MAX_EXAMPLES = (
    Call((grid(2, 2, 4, 6), 2), label=N_("a 2x2 pool, stride None (so stride = kernel)")),
    Call((grid(1, 3, 4, negative=True), 2), dict(stride=1, padding=1),
         label=N_("all-negative input with padding: max pooling pads with -inf")),
    Call((grid(1, 3, 5, negative=True), 2), CEIL_ARGS,
         label=N_("ceil_mode: an extra column; no window may start past the input and left padding")),
    Call((grid(1, 1, 5, 7), (2, 3), (1, 2), (1, 1), 2), label=N_("dilation 2, asymmetric kernel and stride")),
    Call((grid(2, 1, 3, 7), (1, 3)), dict(stride=(2, 1)), label=N_("a 1x3 kernel with stride (2, 1)")),
)

AVG_EXAMPLES = (
    Call((grid(2, 2, 4, 6), 2), label=N_("a 2x2 average pool, stride None (so stride = kernel)")),
    Call((grid(1, 3, 4), 3), dict(stride=1, padding=1, count_include_pad=False),
         label=N_("padding, count_include_pad=False: divide by the input pixels only")),
    # before the ceil_mode examples, so that swapped sides show on windows that fit the input
    Call((grid(1, 1, 3, 7), (1, 3)), dict(stride=(2, 1)), label=N_("a 1x3 kernel with stride (2, 1)")),
    Call((grid(1, 3, 5), 2), CEIL_ARGS,
         label=N_("ceil_mode: the last column's windows are clipped to the input (divisor 2, not 4)")),
    Call((grid(1, 3, 5), 2), {**CEIL_ARGS, "count_include_pad": False},
         label=N_("ceil_mode with count_include_pad=False")),
    Call((grid(1, 2, 6), (2, 3), (1, 2), (0, 1), True, True),
         label=N_("ceil_mode: the last window covers a padded column and runs past it (divisor 2*2, not 2*3)")),
)


def shared_error_cases() -> tuple[ErrorCase, ...]:
    x = grid(1, 4, 5)
    return (
        ErrorCase(Call((x, 2), dict(padding=2)), N_("padding 2 with kernel 2 (more than half the kernel)")),
        ErrorCase(Call((x, (2, 4)), dict(padding=(2, 0))),
                  N_("padding (2, 0) with kernel (2, 4): the height padding is more than half the kernel's "
                     "height")),
        ErrorCase(Call((x, (5, 2))), N_("kernel (5, 2) on 4 rows, no padding: no window fits")),
    )


def pool_window(call: Call, entry: tuple[int, ...], reference: Any, reduce: str) -> Window:
    """Y[..., i, j] reads the padded input's plane [...] at rows i*sh + a*dh, columns j*sw + b*dw."""
    a = arguments(call, reference)
    kernel = strategies.as_pair(a["kernel_size"])
    stride = kernel if a["stride"] is None else a["stride"]
    return spatial_window(entry, kernel, stride=stride, dilation=a.get("dilation", 1), before=strategies.as_pair(a["padding"]),
                          lead=entry[:-2], reduce=reduce)


def window_max_pool2d(call: Call, entry: tuple[int, ...]) -> Window:
    """Y[..., i, j] is the largest entry of its window."""
    return pool_window(call, entry, reference_max_pool2d, "{window}.max()")


def window_avg_pool2d(call: Call, entry: tuple[int, ...]) -> Window | None:
    """Y[..., i, j] is its window's mean (where no padding or ceil_mode changes the divisor)."""
    a = arguments(call, reference_avg_pool2d)
    if strategies.as_pair(a["padding"]) != (0, 0) or a["ceil_mode"]:
        return None
    return pool_window(call, entry, reference_avg_pool2d, "{window}.mean()")


register(Exercise(
    module="ex08_pooling",
    title=N_("Max and average pooling"),
    notes=N_(r"""Pooling slides a $k_h \times k_w$ window over each channel separately with stride $s$
(which defaults to the kernel size when it is None) and keeps the maximum or the mean of each
window. Along one axis of $n$ pixels with padding $p$ and dilation $d$ there are
$\lfloor (n + 2p - d(k-1) - 1) / s \rfloor + 1$ windows; with `ceil_mode` the floor becomes a
ceiling, except that a window must start inside the input or its left padding (a last one that
would start further right is dropped). Max pooling pads with $-\infty$, so padding never wins.
Average pooling divides by the window's size clipped to the padded input when
`count_include_pad=True` (a `ceil_mode` window may run past it), and by the number of real input
pixels it covers otherwise. Padding may be at most half the kernel."""),
    tasks=(
        Task(
            name="max_pool2d",
            summary=N_("torch.nn.functional.max_pool2d by hand, (N, C, H, W) or (C, H, W)"),
            calls=max_pool_calls,
            reference=reference_max_pool2d,
            examples=MAX_EXAMPLES,
            error_cases=(*shared_error_cases(),
                         ErrorCase(Call((grid(1, 4, 5), 2), dict(dilation=(4, 1))),
                                   N_("kernel 2 with dilation 4 spans 5 rows, more than the input's 4"))),
            checks=(*checks.standard(), checks.raises_like_torch()),
            mistakes=MAX_MISTAKES,
            window=window_max_pool2d,
            hint=N_("windows per axis: (n + 2p - d*(k-1) - 1) // s + 1 (ceil with ceil_mode, except for a "
                    "last window that would start in the right padding); stride None means stride = "
                    "kernel_size; pad with -inf, not 0; the first number of a pair is the height"),
        ),
        Task(
            name="avg_pool2d",
            summary=N_("torch.nn.functional.avg_pool2d by hand, (N, C, H, W) or (C, H, W)"),
            calls=avg_pool_calls,
            reference=reference_avg_pool2d,
            examples=AVG_EXAMPLES,
            error_cases=shared_error_cases(),
            checks=(*checks.standard(), checks.raises_like_torch()),
            mistakes=AVG_MISTAKES,
            window=window_avg_pool2d,
            hint=N_("windows per axis: (n + 2p - k) // s + 1 (ceil with ceil_mode, except for a last window "
                    "that would start in the right padding); divisor: the window clipped to the padded input "
                    "(count_include_pad=True) or to the input itself (False)"),
        ),
    ),
))
