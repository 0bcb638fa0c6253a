"""ex21: F.conv1d by hand: batched (N, C_in, L) or unbatched (C_in, L) input, weight
(C_out, C_in // groups, k), optional bias (C_out,), stride, padding (an int, (p,), "valid" or
"same"), dilation and groups."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from grader.api import N_, Call, ErrorCase, Exercise, Mistake, Task, checks, register, st, tensors

MAX_CHANNELS = 4  # input and output channels; groups divide both
MAX_LENGTH = 8  # drawn input lengths stay at most this (plus what the kernel needs)
DEFAULTS = dict(stride=1, padding=0, dilation=1, groups=1)


# ---------------------------------------------------------------- reference (float64, CPU)

def reference_conv1d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, dilation: Any = 1, groups: int = 1) -> torch.Tensor:
    """F.conv1d: (N, C_in, L) or (C_in, L) -> (N, C_out, L') or (C_out, L'), with
    L' = (L + 2p - dilation*(k-1) - 1) // stride + 1 ("same": L' = L, stride 1 only)."""
    with warnings.catch_warnings():  # torch notes that "same" with an even kernel copies the input
        warnings.filterwarnings("ignore", message="Using padding='same'", category=UserWarning)
        return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


# ---------------------------------------------------------------- classic mistakes
# Each returns what code making the mistake returns (float64, CPU), with the reference's signature.

def ignoring(option: str, assumed: Any):
    """conv1d written as if ``option`` always had the value ``assumed`` (the drawn and pinned
    calls pass every option by keyword)."""
    def wrong(input, weight, bias=None, **options):
        return reference_conv1d(input, weight, bias, **{**options, option: assumed})

    return wrong


def mistake_kernel_flipped(input, weight, bias=None, **options):
    """The mathematical convolution: the kernel read backwards."""
    return reference_conv1d(input, weight.flip(-1), bias, **options)


def mistake_one_sided_padding(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """All 2p padding zeros put before the signal, none after."""
    if isinstance(padding, str):
        return reference_conv1d(input, weight, bias, stride, padding, dilation, groups)
    p = padding if isinstance(padding, int) else padding[0]
    return F.conv1d(F.pad(input, (2 * p, 0)), weight, bias, stride, 0, dilation, groups)


def mistake_interleaved_groups(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Group g reads input channels g, g + groups, ... instead of one contiguous block."""
    per_group = input.shape[-2] // groups
    order = [g + groups * c for g in range(groups) for c in range(per_group)]
    return reference_conv1d(input[..., order, :], weight, bias, stride, padding, dilation, groups)


MISTAKES = (
    Mistake(N_("kernel flipped (true convolution instead of cross-correlation)"),
            N_("deep-learning convolution does not flip the kernel: y[o, i] = sum over c, a of "
               "x[c, i*s + a*d] * w[o, c, a]"), mistake_kernel_flipped),
    Mistake(N_("stride ignored"), N_("the window moves `stride` samples at a time: "
                                     "L' = (L + 2p - d*(k-1) - 1) // s + 1"), ignoring("stride", 1)),
    Mistake(N_("dilation ignored"), N_("a dilated kernel reads every d-th sample of a window d*(k-1)+1 long"),
            ignoring("dilation", 1)),
    Mistake(N_("padding on one side only"), N_("pad p zeros before and p zeros after the signal"),
            mistake_one_sided_padding),
    Mistake(N_("groups take interleaved channels"), N_("group g uses the contiguous block of input channels "
                                                       "g*C_in/groups ... (g+1)*C_in/groups - 1"),
            mistake_interleaved_groups),
)


# ---------------------------------------------------------------- valid configurations

@dataclass(frozen=True)
class Geometry:
    """One valid conv1d configuration, drawn before any tensor."""

    groups: int
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    dilation: int
    padding: int | tuple[int] | str
    length: int

    def options(self) -> dict[str, Any]:
        """The options as keyword arguments, each left out at its default (so defaults get
        exercised too)."""
        chosen = dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)
        return {k: v for k, v in chosen.items() if v != DEFAULTS[k]}


def pad_total(padding: int | tuple[int] | str, kernel: int, dilation: int) -> int:
    """Zeros added to the signal in all: 2p, 0 for "valid", dilation*(k-1) for "same"."""
    if padding == "valid":
        return 0
    if padding == "same":
        return dilation * (kernel - 1)
    return 2 * (padding if isinstance(padding, int) else padding[0])


@st.composite
def geometries(draw: Any) -> Geometry:
    """Groups first, then channels as multiples of it, then kernel, stride, dilation, padding
    ("same" only with stride 1), then a length that leaves at least one output sample."""
    groups = draw(st.integers(1, MAX_CHANNELS))
    in_channels = groups * draw(st.integers(1, MAX_CHANNELS // groups))
    out_channels = groups * draw(st.integers(1, MAX_CHANNELS // groups))
    kernel = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2))
    paddings = [st.integers(0, 2), st.integers(0, 2).map(lambda p: (p,)), st.just("valid")]
    if stride == 1:
        paddings.append(st.just("same"))
    padding = draw(st.one_of(*paddings))
    lo = max(1, dilation * (kernel - 1) + 1 - pad_total(padding, kernel, dilation))
    length = draw(st.integers(lo, max(lo, MAX_LENGTH)))
    return Geometry(groups, in_channels, out_channels, kernel, stride, dilation, padding, length)


@st.composite
def conv1d_calls(draw: Any) -> Call:
    """conv1d over its whole parameter space: batched or not, every padding form, groups, with
    or without a bias."""
    geo = draw(geometries())
    batch = draw(st.one_of(st.none(), st.integers(1, 2)))
    lead = () if batch is None else (batch,)
    x = draw(tensors((*lead, geo.in_channels, geo.length)))
    weight = draw(tensors((geo.out_channels, geo.in_channels // geo.groups, geo.kernel)))
    bias = draw(st.one_of(st.none(), tensors((geo.out_channels,))))
    options = geo.options()
    if bias is not None:
        options["bias"] = bias
    return Call((x, weight), options)


# ---------------------------------------------------------------- pinned examples and invalid inputs

def ramp(*shape: int) -> torch.Tensor:
    """Distinct half-integers (so any misplaced entry shows), centred on 0, in float64."""
    n = math.prod(shape)
    return ((torch.arange(n, dtype=torch.float64) - n // 2) / 2).reshape(shape)


EXAMPLES = (
    Call((torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]], dtype=torch.float64),
          torch.tensor([[[1.0, 0.0, -1.0]]], dtype=torch.float64)),
         label=N_("a 5-sample ramp and the difference kernel [1, 0, -1], unbatched")),
    Call((ramp(2, 2, 7), ramp(3, 2, 2)), dict(stride=2, padding=1, dilation=2),
         label=N_("stride 2, padding 1 and dilation 2 together, batch of 2")),
    Call((ramp(1, 4, 5), ramp(4, 2, 2)), dict(groups=2, bias=torch.tensor([1.0, -1.0, 2.0, -2.0],
                                                                           dtype=torch.float64)),
         label=N_("groups=2 with two channels per group, and a bias")),
    Call((ramp(1, 1, 5), ramp(1, 1, 4)), dict(padding="same"), label=N_('padding="same" with an even kernel')),
)

ERRORS = (
    ErrorCase(Call((ramp(1, 3, 6), ramp(2, 1, 2)), dict(groups=2)),
              N_("groups=2 does not divide the 3 input channels")),
    ErrorCase(Call((ramp(1, 2, 6), ramp(1, 3, 2))), N_("a weight for 3 input channels on a 2-channel input")),
    ErrorCase(Call((ramp(1, 1, 6), ramp(1, 1, 3)), dict(stride=2, padding="same")), N_('padding="same" with stride 2')),
    ErrorCase(Call((ramp(1, 1, 2), ramp(1, 1, 3))), N_("a kernel of 3 samples longer than the 2-sample input")),
    ErrorCase(Call((ramp(1, 1, 6), ramp(2, 1, 2)), dict(bias=ramp(3))),
              N_("a bias of 3 entries for 2 output channels")),
)


register(Exercise(
    module="ex21_conv1d",
    title=N_("1-D convolution by hand"),
    notes=N_(r"""A 1-D convolution slides each filter along one axis, the way a 2-D one slides over
rows and columns: $y_{o,i} = b_o + \sum_{c}\sum_{a} x_{c,\,i s + a d}\, w_{o,c,a}$ over the zero-padded
signal, with output length $L' = \lfloor (L + 2p - d(k-1) - 1)/s \rfloor + 1$. Groups split the
channels into contiguous blocks, each convolved with its own filters."""),
    tasks=(
        Task(
            name="conv1d",
            summary=N_("F.conv1d by hand: stride, padding, dilation, groups, bias, batched or unbatched"),
            calls=conv1d_calls,
            reference=reference_conv1d,
            examples=EXAMPLES,
            error_cases=ERRORS,
            checks=(*checks.standard(), checks.raises_like_torch()),
            mistakes=MISTAKES,
            hint=N_("pad with zeros first, then y[..., o, i] = sum of x[..., group of o, i*s + a*d] * w[o, :, a]"),
        ),
    ),
))
