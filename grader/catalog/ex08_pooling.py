"""ex08: 2-D max and average pooling by hand, with torch's semantics for stride=None, padding,
dilation (max only), ceil_mode (and its last-window rule) and count_include_pad (avg only)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader import checks, strategies
from grader.exercise import Call, ErrorCase, Exercise, Task
from grader.registry import register


def reference_max_pool2d(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                         dilation: Any = 1, ceil_mode: bool = False) -> torch.Tensor:
    """(N, C, H, W) or (C, H, W) -> the same rank: torch's max pooling."""
    return F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def reference_avg_pool2d(input: torch.Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                         ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """(N, C, H, W) or (C, H, W) -> the same rank: torch's average pooling."""
    return F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


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
    Call((grid(2, 2, 4, 6), 2), label="a 2x2 pool, stride None (so stride = kernel)"),
    Call((grid(1, 3, 4, negative=True), 2), dict(stride=1, padding=1),
         label="all-negative input with padding: max pooling pads with -inf"),
    Call((grid(1, 3, 5, negative=True), 2), CEIL_ARGS,
         label="ceil_mode: an extra column; no window may start past the input and left padding"),
    Call((grid(1, 1, 5, 7), (2, 3), (1, 2), (1, 1), 2), label="dilation 2, asymmetric kernel and stride"),
    Call((grid(2, 1, 3, 7), (1, 3)), dict(stride=(2, 1)), label="a 1x3 kernel with stride (2, 1)"),
)

AVG_EXAMPLES = (
    Call((grid(2, 2, 4, 6), 2), label="a 2x2 average pool, stride None (so stride = kernel)"),
    Call((grid(1, 3, 4), 3), dict(stride=1, padding=1, count_include_pad=False),
         label="padding, count_include_pad=False: divide by the input pixels only"),
    Call((grid(1, 3, 5), 2), CEIL_ARGS,
         label="ceil_mode: the last column's windows are clipped to the input (divisor 2, not 4)"),
    Call((grid(1, 3, 5), 2), {**CEIL_ARGS, "count_include_pad": False},
         label="ceil_mode with count_include_pad=False"),
    Call((grid(1, 2, 6), (2, 3), (1, 2), (0, 1), True, True),
         label="ceil_mode: the last window covers a padded column and runs past it (divisor 2*2, not 2*3)"),
    Call((grid(1, 1, 3, 7), (1, 3)), dict(stride=(2, 1)), label="a 1x3 kernel with stride (2, 1)"),
)


def shared_error_cases() -> tuple[ErrorCase, ...]:
    x = grid(1, 4, 5)
    return (
        ErrorCase(Call((x, 2), dict(padding=2)), "padding 2 with kernel 2 (more than half the kernel)"),
        ErrorCase(Call((x, (2, 4)), dict(padding=(2, 0))),
                  "padding (2, 0) with kernel (2, 4): the height padding is more than half the kernel's height"),
        ErrorCase(Call((x, (5, 2))), "kernel (5, 2) on 4 rows, no padding: no window fits"),
    )


register(Exercise(
    module="ex08_pooling",
    title="Max and average pooling",
    notes=r"""Pooling slides a $k_h \times k_w$ window over each channel separately with stride $s$
(which defaults to the kernel size when it is None) and keeps the maximum or the mean of each
window. Along one axis of $n$ pixels with padding $p$ and dilation $d$ there are
$\lfloor (n + 2p - d(k-1) - 1) / s \rfloor + 1$ windows; with `ceil_mode` the floor becomes a
ceiling, except that a window must start inside the input or its left padding (a last one that
would start further right is dropped). Max pooling pads with $-\infty$, so padding never wins.
Average pooling divides by the window's size clipped to the padded input when
`count_include_pad=True` (a `ceil_mode` window may run past it), and by the number of real input
pixels it covers otherwise. Padding may be at most half the kernel.""",
    tasks=(
        Task(
            name="max_pool2d",
            summary="torch.nn.functional.max_pool2d by hand, (N, C, H, W) or (C, H, W)",
            calls=max_pool_calls,
            reference=reference_max_pool2d,
            examples=MAX_EXAMPLES,
            error_cases=(*shared_error_cases(),
                         ErrorCase(Call((grid(1, 4, 5), 2), dict(dilation=(4, 1))),
                                   "kernel 2 with dilation 4 spans 5 rows, more than the input's 4")),
            checks=(*checks.standard(), checks.raises_like_torch()),
            hint="windows per axis: (n + 2p - d*(k-1) - 1) // s + 1 (ceil with ceil_mode, except for a "
                 "last window that would start in the right padding); stride None means stride = "
                 "kernel_size; pad with -inf, not 0; the first number of a pair is the height",
        ),
        Task(
            name="avg_pool2d",
            summary="torch.nn.functional.avg_pool2d by hand, (N, C, H, W) or (C, H, W)",
            calls=avg_pool_calls,
            reference=reference_avg_pool2d,
            examples=AVG_EXAMPLES,
            error_cases=shared_error_cases(),
            checks=(*checks.standard(), checks.raises_like_torch()),
            hint="windows per axis: (n + 2p - k) // s + 1 (ceil with ceil_mode, except for a last window "
                 "that would start in the right padding); divisor: the window clipped to the padded input "
                 "(count_include_pad=True) or to the input itself (False)",
        ),
    ),
))
