"""ex06: the whole 2-D convolution by hand: F.conv2d with nn.Conv2d's padding modes, im2col
(F.unfold) and the backward pass of a convolution."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
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
    as_pair,
    checks,
    int_or_pair,
    judge_call,
    register,
    span,
    spatial_window,
    tensors,
)
from grader.catalog.ex03_padding_stride import SAME_HALF_KERNEL, half_kernel_sides
from grader.catalog.ex05_channels import NOTES_MULTI_IN

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
MAX_CHANNELS = 4  # input and output channels; groups divide both
MAX_SIDE = 6  # drawn input sides stay at most this, unless the padding mode needs more
OPTION_DEFAULTS = dict(stride=1, padding=0, dilation=1, groups=1)


# ---------------------------------------------------------------- references (float64, CPU)

def module_padding(weight: torch.Tensor, stride: Any, padding: Any, dilation: Any) -> tuple[int, int, int, int]:
    """(left, right, top, bottom): what nn.Conv2d hands to F.pad for a padding_mode other than
    "zeros" (its ``_reversed_padding_repeated_twice``), raising what its constructor raises."""
    if not isinstance(padding, str):
        ph, pw = as_pair(padding)
        return (pw, pw, ph, ph)
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding != "same":
        raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}")
    if as_pair(stride) != (1, 1):
        raise ValueError("padding='same' is not supported for strided convolutions")
    (th, tw) = (d * (k - 1) for k, d in zip(weight.shape[-2:], as_pair(dilation)))
    return (tw // 2, tw - tw // 2, th // 2, th - th // 2)


def reference_conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
                     padding_mode: str = "zeros") -> torch.Tensor:
    """F.conv2d; for another padding_mode, what nn.Conv2d does: F.pad in that mode, then a
    convolution without padding."""
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {set(PADDING_MODES)}, but got padding_mode={padding_mode!r}")
    if padding_mode == "zeros":
        with warnings.catch_warnings():  # torch notes that "same" with an even kernel copies the input
            warnings.filterwarnings("ignore", message="Using padding='same'", category=UserWarning)
            return F.conv2d(input, weight, bias, stride, padding, dilation, groups)
    padded = F.pad(input, module_padding(weight, stride, padding, dilation), mode=padding_mode)
    return F.conv2d(padded, weight, bias, stride, 0, dilation, groups)


def reference_im2col(input: torch.Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                     stride: Any = 1) -> torch.Tensor:
    return F.unfold(input, kernel_size, dilation, padding, stride)


def reference_conv2d_backward(grad_output: torch.Tensor, input: torch.Tensor, weight: torch.Tensor,
                              stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                              groups: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Autograd through F.conv2d with a bias: (grad_input, grad_weight, grad_bias)."""
    x = input.detach().clone().requires_grad_()
    w = weight.detach().clone().requires_grad_()
    b = weight.new_zeros(weight.shape[0], requires_grad=True)
    out = F.conv2d(x, w, b, stride, padding, dilation, groups)
    return torch.autograd.grad(out, (x, w, b), grad_output)


# ---------------------------------------------------------------- classic mistakes
# Each returns what code making the mistake returns (float64, CPU), with the reference's signature.

def ignoring(option: str, assumed: Any):
    """conv2d written as if ``option`` always had the value ``assumed`` (drawn and pinned calls
    pass every option by keyword)."""
    def wrong(input, weight, bias=None, **options):
        return reference_conv2d(input, weight, bias, **{**options, option: assumed})

    return wrong


def swapped(value: Any) -> Any:
    """An (h, w) option read as (w, h); ints and padding strings are unaffected."""
    return value if isinstance(value, (int, str)) else as_pair(value)[::-1]


def mistake_axes_swapped(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    return reference_conv2d(input, weight, bias, swapped(stride), swapped(padding), swapped(dilation), groups,
                            padding_mode)


def padded_then_valid(input, weight, bias, stride, dilation, groups, padding_mode, sides):
    """F.pad by sides = (left, right, top, bottom) in the padding mode, then a valid convolution."""
    mode = "constant" if padding_mode == "zeros" else padding_mode
    return F.conv2d(F.pad(input, sides, mode=mode), weight, bias, stride, 0, dilation, groups)


def mistake_one_sided_padding(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                              padding_mode="zeros"):
    if isinstance(padding, str):
        return reference_conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode)
    ph, pw = as_pair(padding)
    return padded_then_valid(input, weight, bias, stride, dilation, groups, padding_mode, (2 * pw, 0, 2 * ph, 0))


def mistake_same_extra_pixel_first(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                                   padding_mode="zeros"):
    if padding != "same":
        return reference_conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode)
    left, right, top, bottom = module_padding(weight, stride, padding, dilation)
    return padded_then_valid(input, weight, bias, stride, dilation, groups, padding_mode, (right, left, bottom, top))


def mistake_same_half_kernel(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                             padding_mode="zeros"):
    """Pads "same" with k // 2 on each side: an even kernel's output one row or column too large."""
    if padding != "same":
        return reference_conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode)
    sides = half_kernel_sides(tuple(weight.shape[-2:]), dilation)
    return padded_then_valid(input, weight, bias, stride, dilation, groups, padding_mode, sides)


def empty_where_unpadded(t: torch.Tensor, padding: Any) -> torch.Tensor:
    """What ``t[..., p:-p, q:-q]`` returns when ``t`` is the padded result cropped right for
    p, q > 0: an axis whose padding is 0 comes out empty (-0 is 0)."""
    ph, pw = as_pair(padding)
    return t[..., :t.shape[-2] if ph else 0, :t.shape[-1] if pw else 0]


def mistake_grad_input_cropped_minus_zero(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1):
    """Unpads the padded input's gradient with ``dx_pad[:, :, p:-p, q:-q]``: empty for padding 0."""
    grad_input, grad_weight, grad_bias = reference_conv2d_backward(grad_output, input, weight, stride, padding,
                                                                   dilation, groups)
    return empty_where_unpadded(grad_input, padding), grad_weight, grad_bias


CROP_MINUS_ZERO = (N_("padding cropped with [p:-p] (an empty result when the padding is 0)"),
                   N_("x[p:-p] is empty when p = 0, since -0 is 0: crop with x[p:x.shape[-2] - p] (or x[p:p + H])"))


def mistake_interleaved_groups(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                               padding_mode="zeros"):
    """Group g reads input channels g, g + groups, g + 2*groups... instead of one contiguous block."""
    per_group = input.shape[-3] // groups
    order = [g + groups * c for g in range(groups) for c in range(per_group)]
    return reference_conv2d(input[..., order, :, :], weight, bias, stride, padding, dilation, groups, padding_mode)


def mistake_bias_on_batch_axis(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                               padding_mode="zeros"):
    out = reference_conv2d(input, weight, None, stride, padding, dilation, groups, padding_mode)
    return out if bias is None else out + bias.reshape(-1, *[1] * (out.dim() - 1))


MISTAKES_CONV2D = (
    Mistake(N_("height and width swapped"), N_("an (h, w) pair is (rows, columns): stride[0], padding[0] and "
                                                "dilation[0] act along H"), mistake_axes_swapped),
    Mistake(N_("stride ignored"),
            N_("the window moves `stride` pixels at a time: H' = (H + 2p - d*(k-1) - 1) // s + 1"),
            ignoring("stride", 1)),
    Mistake(N_("dilation ignored"), N_("a dilated kernel reads every d-th pixel of a window d*(k-1)+1 wide"),
            ignoring("dilation", 1)),
    Mistake(N_("padding on one side only"), N_("pad p pixels on each side: top and bottom, left and right"),
            mistake_one_sided_padding),
    Mistake(N_('"same" puts the extra pixel of an even kernel first'),
            N_('torch\'s "same" pads total // 2 before and the rest (the extra pixel) after: bottom and right'),
            mistake_same_extra_pixel_first),
    Mistake(*SAME_HALF_KERNEL, mistake_same_half_kernel),
    Mistake(N_("padding_mode ignored (always zeros)"),
            N_("reflect mirrors without repeating the edge, replicate repeats the edge, circular wraps around; "
               "only zeros pads with 0"), ignoring("padding_mode", "zeros")),
    Mistake(N_("groups take interleaved channels"), N_("group g uses the contiguous block of input channels "
                                                       "g*C_in/groups ... (g+1)*C_in/groups - 1"),
            mistake_interleaved_groups),
    Mistake(N_("bias added along the batch axis"), N_("add bias[o] to output channel o: bias.reshape(1, -1, 1, 1)"),
            mistake_bias_on_batch_axis),
)


def mistake_kernel_major_rows(input, kernel_size, dilation=1, padding=0, stride=1):
    cols = reference_im2col(input, kernel_size, dilation, padding, stride)
    n, rows, length = cols.shape
    channels = input.shape[1]
    return cols.reshape(n, channels, rows // channels, length).transpose(1, 2).reshape(n, rows, length)


MISTAKES_IM2COL = (
    Mistake(N_("rows ordered kernel-major"), N_("rows go channel first, then kernel row, then kernel column: row "
                                                "c*kh*kw + i*kw + j"), mistake_kernel_major_rows),
)


def mistake_bias_of_first_sample(grad_output, input, weight, *args, **kwargs):
    grad_input, grad_weight, _grad_bias = reference_conv2d_backward(grad_output, input, weight, *args, **kwargs)
    return grad_input, grad_weight, grad_output.sum(dim=(-2, -1))[0]


def mistake_bias_over_channels(grad_output, input, weight, *args, **kwargs):
    grad_input, grad_weight, _grad_bias = reference_conv2d_backward(grad_output, input, weight, *args, **kwargs)
    return grad_input, grad_weight, grad_output.sum(dim=(-3, -2, -1))


def mistake_transposed_size(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1):
    """grad_input cut to what the windows reach, (H'-1)*s + d*(k-1) + 1 - 2p rows: the rows and
    columns a stride skips at the end are dropped."""
    grad_input, grad_weight, grad_bias = reference_conv2d_backward(grad_output, input, weight, stride, padding,
                                                                   dilation, groups)
    reach = [(o - 1) * s + span(k, d) - 2 * p for o, s, k, d, p in zip(
        grad_output.shape[-2:], as_pair(stride), weight.shape[-2:], as_pair(dilation), as_pair(padding))]
    return grad_input[..., :reach[0], :reach[1]], grad_weight, grad_bias


MISTAKES_BACKWARD = (
    Mistake(N_("grad_bias of the first sample only"),
            N_("grad_bias sums grad_output over the batch, rows and columns: grad_output.sum(dim=(0, 2, 3))"),
            mistake_bias_of_first_sample),
    Mistake(N_("grad_bias summed over the wrong axes"),
            N_("grad_bias has one entry per output channel: sum over the batch, rows and columns, dim=(0, 2, 3)"),
            mistake_bias_over_channels),
    Mistake(N_("grad_input cut to the rows and columns the windows reach"),
            N_("grad_input has the input's shape; the rows and columns a stride never reaches get gradient 0"),
            mistake_transposed_size),
    Mistake(*CROP_MINUS_ZERO, mistake_grad_input_cropped_minus_zero),
)


def window_conv2d(call: Call, entry: tuple[int, ...]) -> Window:
    """Y[n, o, i, j] reads the padded input's channels of o's group, rows i*sh + a*dh and columns
    j*sw + b*dw, against weight[o] (plus bias[o])."""
    a = arguments(call, reference_conv2d)
    weight, groups = a["weight"], a["groups"]
    o = entry[-3]
    per_group = weight.shape[1]
    g = o // (weight.shape[0] // groups)
    channels = slice(None) if groups == 1 else slice(g * per_group, (g + 1) * per_group)
    left, _right, top, _bottom = module_padding(weight, a["stride"], a["padding"], a["dilation"])
    bias = f" + bias[{o}]" if a["bias"] is not None else ""
    return spatial_window(entry, tuple(weight.shape[-2:]), stride=a["stride"], dilation=a["dilation"],
                          before=(top, left), lead=(*entry[:-3], channels),
                          reduce=f"({{window}} * weight[{o}]).sum(){bias}")


# ---------------------------------------------------------------- valid configurations

def side_padding(padding: Any, kernel: int, dilation: int, axis: int) -> tuple[int, int]:
    """(before, after) padding of one axis (0: rows, 1: columns), "same" placed as torch places it."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        total = dilation * (kernel - 1)
        return (total // 2, total - total // 2)
    p = as_pair(padding)[axis]
    return (p, p)


@dataclass(frozen=True)
class Geometry:
    """One valid convolution configuration, drawn before any tensor."""

    groups: int
    in_channels: int
    out_channels: int
    kernel_size: int | tuple[int, int]
    stride: int | tuple[int, int]
    dilation: int | tuple[int, int]
    padding: int | tuple[int, int] | str
    size: tuple[int, int]  # the input's (H, W)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels // self.groups, *as_pair(self.kernel_size))

    @property
    def output_size(self) -> tuple[int, int]:
        out = []
        for axis, (n, k, s, d) in enumerate(zip(self.size, as_pair(self.kernel_size), as_pair(self.stride),
                                                 as_pair(self.dilation))):
            before, after = side_padding(self.padding, k, d, axis)
            out.append((n + before + after - span(k, d)) // s + 1)
        return (out[0], out[1])

    def options(self) -> dict[str, Any]:
        """stride, padding, dilation and groups as keyword arguments, each left out where it has
        its default value (so that the defaults get exercised too)."""
        chosen = dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)
        return {k: v for k, v in chosen.items() if v != OPTION_DEFAULTS[k]}


def min_side(kernel: int, dilation: int, before: int, after: int, padding_mode: str) -> int:
    """The smallest input side that leaves one output position and that the padding mode can pad
    (reflect needs the padding smaller than the side, circular at most the side)."""
    lo = max(1, span(kernel, dilation) - before - after)
    if padding_mode == "reflect":
        lo = max(lo, before + 1, after + 1)
    if padding_mode == "circular":
        lo = max(lo, before, after)
    return lo


@st.composite
def geometries(draw: Any, padding_mode: str = "zeros", strings: bool = True, grouped: bool = True) -> Geometry:
    """Groups first, then channels as multiples of it, then kernel, stride, dilation and padding
    (the "valid"/"same" strings when ``strings``; "same" only with stride 1), then input sides."""
    groups = draw(st.integers(1, MAX_CHANNELS)) if grouped else 1
    in_channels = groups * draw(st.integers(1, MAX_CHANNELS // groups))
    out_channels = groups * draw(st.integers(1, MAX_CHANNELS // groups))
    kernel_size = draw(int_or_pair(st.integers(1, 3)))
    stride = draw(int_or_pair(st.integers(1, 3)))
    dilation = draw(int_or_pair(st.integers(1, 2)))
    paddings = [int_or_pair(st.integers(0, 2))]
    if strings:
        paddings.append(st.just("valid"))
        if as_pair(stride) == (1, 1):
            paddings.append(st.just("same"))
    padding = draw(st.one_of(*paddings))
    size = []
    for axis, (k, d) in enumerate(zip(as_pair(kernel_size), as_pair(dilation))):
        lo = min_side(k, d, *side_padding(padding, k, d, axis), padding_mode)
        size.append(draw(st.integers(lo, max(lo, MAX_SIDE))))
    return Geometry(groups, in_channels, out_channels, kernel_size, stride, dilation, padding, (size[0], size[1]))


@st.composite
def conv2d_calls(draw: Any) -> Call:
    """conv2d over its whole parameter space: batched or not, every padding form and mode,
    groups (depthwise and channel multipliers included), with or without a bias."""
    padding_mode = draw(st.sampled_from(PADDING_MODES))
    geo = draw(geometries(padding_mode))
    batch = draw(st.one_of(st.integers(1, 2), st.none()))
    lead = () if batch is None else (batch,)
    x = draw(tensors((*lead, geo.in_channels, *geo.size)))
    weight = draw(tensors(geo.weight_shape))
    bias = draw(st.one_of(st.none(), tensors((geo.out_channels,))))
    options = geo.options()
    if bias is not None:
        options["bias"] = bias
    if padding_mode != "zeros":
        options["padding_mode"] = padding_mode
    return Call((x, weight), options)


@st.composite
def im2col_calls(draw: Any) -> Call:
    geo = draw(geometries(strings=False, grouped=False))
    batch = draw(st.integers(1, 2))
    x = draw(tensors((batch, geo.in_channels, *geo.size)))
    return Call((x, geo.kernel_size), geo.options())


@st.composite
def backward_calls(draw: Any, batched: bool = True) -> Call:
    """(grad_output, input, weight) of a valid zeros-padded convolution, batched or unbatched."""
    geo = draw(geometries(strings=False))
    lead = (draw(st.integers(1, 2)),) if batched else ()
    x = draw(tensors((*lead, geo.in_channels, *geo.size)))
    weight = draw(tensors(geo.weight_shape))
    grad_output = draw(tensors((*lead, geo.out_channels, *geo.output_size)))
    return Call((grad_output, x, weight), geo.options())


# ---------------------------------------------------------------- pinned examples

def ramp(*shape: int) -> torch.Tensor:
    """Distinct half-integers (so any misplaced entry shows), centred on 0, in float64."""
    n = math.prod(shape)
    return ((torch.arange(n, dtype=torch.float64) - n // 2) / 2).reshape(shape)


def backward_example(x: torch.Tensor, weight: torch.Tensor, label: str, **options: Any) -> Call:
    """A conv2d_backward call whose grad_output has the shape of that convolution's output."""
    out_shape = F.conv2d(x, weight, None, **options).shape
    return Call((ramp(*out_shape).flip(-1), x, weight), options, label=label)


CONV2D_EXAMPLES = (
    Call((NOTES_MULTI_IN.args[0][None], NOTES_MULTI_IN.args[1][None]),
         label=N_("the notes' 3-channel 5x5 example as one image and one filter, default options")),
    Call((ramp(1, 2, 4, 6), ramp(3, 2, 2, 3)), dict(stride=(1, 2), padding=(2, 1), dilation=(2, 1)),
         label=N_("H != W, with different stride, padding and dilation per axis")),
    Call((ramp(1, 4, 3, 3), ramp(4, 2, 1, 1)), dict(groups=2), label=N_("groups=2 with two channels per group")),
    Call((ramp(2, 1, 3, 3), ramp(2, 1, 2, 2)), dict(bias=torch.tensor([5., -5.], dtype=torch.float64)),
         label=N_("a bias per output channel, batch of 2, 2 output channels")),
    Call((ramp(2, 2, 3, 4), ramp(4, 1, 2, 2)), dict(bias=torch.tensor([1., -2., 3., -4.], dtype=torch.float64),
                                                    groups=2),
         label=N_("depthwise with a channel multiplier of 2, and a bias")),
    Call((ramp(1, 1, 3, 4), ramp(1, 1, 2, 2)), dict(padding="same"), label=N_('padding="same" with an even kernel')),
    Call((ramp(1, 1, 3, 4), ramp(1, 1, 3, 3)), dict(padding=(1, 2), padding_mode="reflect"),
         label=N_("reflect padding")),
    Call((ramp(1, 3, 4), ramp(1, 1, 2, 4)), dict(padding="same", padding_mode="replicate"),
         label=N_('padding="same" with replicate and even kernel sides, unbatched')),
    Call((ramp(2, 3, 3), ramp(1, 2, 2, 2)), dict(padding=1, padding_mode="circular"),
         label=N_("circular padding, unbatched")),
)

CONV2D_ERRORS = (
    ErrorCase(Call((ramp(1, 3, 4, 4), ramp(2, 1, 2, 2)), dict(groups=2)),
              N_("groups=2 does not divide the 3 input channels")),
    ErrorCase(Call((ramp(1, 4, 4, 4), ramp(3, 2, 2, 2)), dict(groups=2)),
              N_("groups=2 does not divide the 3 output channels")),
    ErrorCase(Call((ramp(1, 2, 4, 4), ramp(1, 3, 2, 2))),
              N_("a weight for 3 input channels on a 2-channel input")),
    ErrorCase(Call((ramp(1, 1, 5, 5), ramp(1, 1, 3, 3)), dict(stride=2, padding="same")),
              N_('padding="same" with stride 2')),
    ErrorCase(Call((ramp(1, 1, 5, 2), ramp(1, 1, 3, 3))), N_("a 3x3 kernel wider than the 5x2 input")),
    ErrorCase(Call((ramp(1, 1, 2, 4), ramp(1, 1, 3, 3)), dict(padding=2, padding_mode="reflect")),
              N_("reflect padding 2 on an input only 2 rows high")),
    ErrorCase(Call((ramp(1, 1, 4, 4), ramp(2, 1, 2, 2)), dict(bias=ramp(3))),
              N_("a bias of 3 entries for 2 output channels")),
    ErrorCase(Call((ramp(1, 1, 4, 4), ramp(1, 1, 3, 3)), dict(padding=1, padding_mode="mirror")),
              N_('padding_mode="mirror", which is not a padding mode')),
)

IM2COL_EXAMPLES = (
    Call((ramp(1, 2, 3, 4), (2, 3)), label=N_("two channels and a 2x3 kernel")),
    Call((ramp(2, 1, 4, 5), 2), dict(dilation=(1, 2), padding=(1, 0), stride=(2, 1)),
         label=N_("a batch of 2 with different dilation, padding and stride per axis")),
)

BACKWARD_EXAMPLES = (
    backward_example(ramp(1, 1, 4, 5), ramp(1, 1, 3, 3), N_("overlapping 3x3 windows, stride 1")),
    backward_example(ramp(1, 1, 5, 6), ramp(1, 1, 2, 2), N_("strides (2, 3) that never reach the last row "
                                                            "and column"), stride=(2, 3)),
    backward_example(ramp(2, 4, 5, 4), ramp(4, 2, 3, 3), N_("overlapping strided windows with padding, "
                                                            "groups=2, batch of 2"), stride=2, padding=1, groups=2),
    backward_example(ramp(1, 2, 5, 5), ramp(2, 2, 2, 2), N_("dilation (2, 1) with padding (0, 1)"),
                     dilation=(2, 1), padding=(0, 1)),
)

UNBATCHED_BACKWARD_EXAMPLE = backward_example(ramp(2, 4, 5), ramp(3, 2, 2, 2), N_("an unbatched input"),
                                              stride=(2, 1), padding=1)


def unbatched_backward(task: Task, ctx: Context) -> None:
    """Check: conv2d_backward on unbatched (C, H, W) inputs, as conv2d accepts them."""
    unbatched = replace(task, examples=(UNBATCHED_BACKWARD_EXAMPLE,), calls=lambda: backward_calls(batched=False))
    checks.run_property(unbatched, ctx, lambda call: judge_call(unbatched, ctx, call, Variant(torch.float32)))


register(Exercise(
    module="ex06_conv2d",
    title=N_("The convolution layer by hand: conv2d, im2col, backward"),
    notes=N_(r"""A convolution layer maps an input $(N, C_{in}, H, W)$ (or one image $(C_{in}, H, W)$)
to $(N, C_{out}, H', W')$. The input is first padded: zeros, or (nn.Conv2d's `padding_mode`)
by mirroring without repeating the edge (`reflect`), repeating the edge (`replicate`) or
wrapping around (`circular`); `"same"` pads $d(k-1)$ pixels per axis, the extra one of an
odd total at the bottom or right. A kernel of side $k$ with dilation $d$ covers $d(k-1)+1$
pixels; with stride $s$ and padding $p$ on both sides
$H' = \lfloor (H + 2p - d(k-1) - 1) / s \rfloor + 1$. With `groups` $= G$ the channels form
$G$ contiguous blocks, and output block $g$ only sees input block $g$, so the weight is
$(C_{out}, C_{in}/G, k_h, k_w)$; the bias adds one number per output channel.

`im2col` lays every window out as one column, rows ordered channel, then kernel row, then
kernel column, so the convolution becomes one matrix product per group.

Backward, with $g$ the gradient of the output: $\partial b_o = \sum_{n,i,j} g_{n,o,i,j}$;
$\partial W$ pairs each window of the padded input with its $g$; $\partial X$ sends each
$g_{n,o,i,j} W_o$ back onto the window it came from, adding where windows overlap. Pixels no
window reads (padding, or the last rows and columns a stride skips) get zero."""),
    tasks=(
        Task(
            name="conv2d",
            summary=N_("F.conv2d by hand, with nn.Conv2d's padding modes"),
            calls=conv2d_calls,
            reference=reference_conv2d,
            examples=CONV2D_EXAMPLES,
            error_cases=CONV2D_ERRORS,
            mistakes=MISTAKES_CONV2D,
            window=window_conv2d,
            checks=(*checks.standard(), checks.raises_like_torch()),
            hint=N_("pad first (in padding_mode; \"same\" puts an even kernel's extra pixel at the bottom/right), "
                    "take each window of dilation*(k-1)+1 pixels every stride pixels keeping every dilation-th, "
                    "let output channels of block g see input channels g*C_in/groups ... (g+1)*C_in/groups - 1, "
                    "and add bias[o] to output channel o"),
        ),
        Task(
            name="im2col",
            summary=N_("F.unfold by hand: every window of (N, C, H, W) as a column of (N, C*kh*kw, L)"),
            calls=im2col_calls,
            reference=reference_im2col,
            examples=IM2COL_EXAMPLES,
            mistakes=MISTAKES_IM2COL,
            checks=checks.standard(),
            hint=N_("row c*kh*kw + i*kw + j of column l holds channel c at kernel offset (i, j) of the l-th "
                    "window, windows counted row by row"),
        ),
        Task(
            name="conv2d_backward",
            summary=N_("(grad_input, grad_weight, grad_bias) of conv2d by hand"),
            calls=backward_calls,
            reference=reference_conv2d_backward,
            examples=BACKWARD_EXAMPLES,
            mistakes=MISTAKES_BACKWARD,
            checks=(*checks.standard(),
                    Check("unbatched", N_("unbatched input (C, H, W) with grad_output (C_out, H', W')"), 1,
                          unbatched_backward)),
            hint=N_("grad_bias sums grad_output over batch, rows and columns; grad_weight pairs each window of "
                    "the padded input with grad_output; grad_input adds (+=) grad_output times the weight back "
                    "onto every window, then drops the padding: pixels no window reads get 0"),
        ),
    ),
))
