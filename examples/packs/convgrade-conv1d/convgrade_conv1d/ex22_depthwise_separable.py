"""ex22: depthwise-separable convolution by hand: a per-channel convolution (groups = C_in),
then a 1x1 convolution that mixes the channels (MobileNet's building block)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from convgrade_conv1d.ex21_conv1d import ramp
from grader.api import (
    N_,
    Call,
    ErrorCase,
    Exercise,
    Mistake,
    Task,
    as_pair,
    checks,
    int_or_pair,
    register,
    span,
    st,
    tensors,
)

MAX_CHANNELS = 3
MAX_SIDE = 6


# ---------------------------------------------------------------- reference (float64, CPU)

def reference_depthwise_separable_conv2d(input: torch.Tensor, depthwise_weight: torch.Tensor,
                                         pointwise_weight: torch.Tensor, bias: torch.Tensor | None = None,
                                         stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> torch.Tensor:
    """(N, C, H, W) or (C, H, W); depthwise_weight (C, 1, kh, kw) applied with groups=C and the
    stride, padding and dilation; then pointwise_weight (C_out, C, 1, 1) and the bias (C_out,)."""
    depthwise = F.conv2d(input, depthwise_weight, None, stride, padding, dilation, groups=input.shape[-3])
    return F.conv2d(depthwise, pointwise_weight, bias)


# ---------------------------------------------------------------- classic mistakes

def mistake_channels_mixed(input, depthwise_weight, pointwise_weight, bias=None, stride=1, padding=0, dilation=1):
    """The depthwise step as an ordinary convolution (groups=1): each of its outputs sums every
    input channel, convolved with that output's kernel."""
    channels = input.shape[-3]
    mixed = depthwise_weight.expand(-1, channels, -1, -1)
    return F.conv2d(F.conv2d(input, mixed, None, stride, padding, dilation), pointwise_weight, bias)


def mistake_pointwise_first(input, depthwise_weight, pointwise_weight, bias=None, stride=1, padding=0, dilation=1):
    """The 1x1 convolution before the per-channel one (only shapes with C_out = C allow it)."""
    mixed = F.conv2d(input, pointwise_weight)
    return F.conv2d(mixed, depthwise_weight, bias, stride, padding, dilation, groups=mixed.shape[-3])


def mistake_stride_twice(input, depthwise_weight, pointwise_weight, bias=None, stride=1, padding=0, dilation=1):
    """The stride applied in both steps: the 1x1 convolution skips samples too."""
    depthwise = F.conv2d(input, depthwise_weight, None, stride, padding, dilation, groups=input.shape[-3])
    return F.conv2d(depthwise, pointwise_weight, bias, stride)


def mistake_bias_ignored(input, depthwise_weight, pointwise_weight, bias=None, **options):
    return reference_depthwise_separable_conv2d(input, depthwise_weight, pointwise_weight, None, **options)


MISTAKES = (
    Mistake(N_("depthwise step mixes the channels (groups=1)"),
            N_("the depthwise step convolves each channel with its own kernel, alone: output channel c reads "
               "input channel c only"), mistake_channels_mixed),
    Mistake(N_("1x1 convolution applied first"),
            N_("first the per-channel convolution, then the 1x1 convolution that mixes channels"),
            mistake_pointwise_first),
    Mistake(N_("stride applied in both steps"),
            N_("stride, padding and dilation belong to the depthwise step; the 1x1 step keeps every pixel"),
            mistake_stride_twice),
    Mistake(N_("bias ignored"), N_("add bias[o] to output channel o after the 1x1 step"), mistake_bias_ignored),
)


# ---------------------------------------------------------------- valid configurations

@st.composite
def calls(draw: Any) -> Call:
    """Channels, then kernel, stride, dilation and padding, then sides that leave one output
    pixel; batched or not, with or without a bias."""
    channels = draw(st.integers(1, MAX_CHANNELS))
    out_channels = draw(st.integers(1, MAX_CHANNELS))
    kh, kw = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(int_or_pair(st.integers(1, 2)))
    dilation = draw(int_or_pair(st.integers(1, 2)))
    padding = draw(int_or_pair(st.integers(0, 1)))
    sides = []
    for k, d, p in zip((kh, kw), as_pair(dilation), as_pair(padding)):
        lo = max(1, span(k, d) - 2 * p)  # at least one output pixel
        sides.append(draw(st.integers(lo, max(lo, MAX_SIDE))))
    lead = () if draw(st.booleans()) else (draw(st.integers(1, 2)),)
    x = draw(tensors((*lead, channels, *sides)))
    options: dict[str, Any] = {}  # each option left out at its default, so the defaults get exercised
    if as_pair(stride) != (1, 1):
        options["stride"] = stride
    if as_pair(padding) != (0, 0):
        options["padding"] = padding
    if as_pair(dilation) != (1, 1):
        options["dilation"] = dilation
    if draw(st.booleans()):
        options["bias"] = draw(tensors((out_channels,)))
    return Call((x, draw(tensors((channels, 1, kh, kw))), draw(tensors((out_channels, channels, 1, 1)))), options)


EXAMPLES = (
    Call((ramp(1, 2, 4, 4), ramp(2, 1, 3, 3), ramp(2, 2, 1, 1)), label=N_("2 channels to 2, a 3x3 kernel per channel")),
    Call((ramp(2, 4, 3), ramp(2, 1, 1, 2), ramp(3, 2, 1, 1)), label=N_("2 channels to 3, unbatched, a 1x2 kernel")),
    Call((ramp(2, 3, 5, 6), ramp(3, 1, 2, 3), ramp(3, 3, 1, 1)),
         dict(bias=torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64), stride=(2, 1), padding=1),
         label=N_("stride (2, 1), padding 1 and a bias, batch of 2")),
)

ERRORS = (
    ErrorCase(Call((ramp(1, 2, 4, 4), ramp(3, 1, 2, 2), ramp(2, 3, 1, 1))),
              N_("3 depthwise kernels for a 2-channel input")),
    ErrorCase(Call((ramp(1, 2, 4, 4), ramp(2, 1, 2, 2), ramp(2, 3, 1, 1))),
              N_("a pointwise weight for 3 channels after a 2-channel depthwise step")),
    ErrorCase(Call((ramp(1, 1, 2, 2), ramp(1, 1, 3, 3), ramp(1, 1, 1, 1))),
              N_("a 3x3 kernel larger than the 2x2 input")),
)


register(Exercise(
    module="ex22_depthwise_separable",
    title=N_("Depthwise-separable convolution by hand"),
    notes=N_(r"""A depthwise-separable convolution factors a $k \times k$ convolution from $C$ to
$C_{out}$ channels into two steps: a depthwise convolution (each channel convolved with its own
$k \times k$ kernel, groups $= C$) and a pointwise $1 \times 1$ convolution that mixes the channels.
It costs $C k^2 + C\,C_{out}$ weights instead of $C\,C_{out} k^2$."""),
    tasks=(
        Task(
            name="depthwise_separable_conv2d",
            summary=N_("a per-channel convolution (groups = C_in), then a 1x1 convolution and the bias"),
            calls=calls,
            reference=reference_depthwise_separable_conv2d,
            examples=EXAMPLES,
            error_cases=ERRORS,
            checks=(*checks.standard(), checks.raises_like_torch()),
            mistakes=MISTAKES,
            hint=N_("depthwise: out[c] = conv(input[c], depthwise_weight[c, 0]); pointwise: "
                    "out[o] = sum over c of pointwise_weight[o, c, 0, 0] * depthwise[c] + bias[o]"),
        ),
    ),
))
