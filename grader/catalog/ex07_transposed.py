"""ex07: the convolution as a matrix C, the transposed convolution as C^T (single channel, stride
1), and the general transposed convolution with F.conv_transpose2d's semantics."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.api import (
    N_,
    Call,
    Check,
    CheckFailed,
    Context,
    ErrorCase,
    Exercise,
    Failure,
    Mistake,
    Task,
    Variant,
    _,
    as_received,
    checks,
    compare,
    judge_call,
    reference_result,
    register,
    strategies,
    value_lines,
)
from grader.catalog.ex06_conv2d import CROP_MINUS_ZERO, empty_where_unpadded

# --- references --------------------------------------------------------------------------------

def reference_conv_matrix(K: torch.Tensor, input_shape: Any) -> torch.Tensor:
    """Row r of C is the output pixel r of cust_conv2d as a function of the flattened input:
    column j of C is the flattened cross-correlation of the j-th basis image with K."""
    h, w = input_shape
    basis = torch.eye(h * w, dtype=K.dtype).reshape(h * w, 1, h, w)
    return F.conv2d(basis, K[None, None]).reshape(h * w, -1).T


def reference_trans_conv2d(Y: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(h, w), (kh, kw) -> (h + kh - 1, w + kw - 1)."""
    return F.conv_transpose2d(Y[None, None], K[None, None])[0, 0]


def reference_conv_transpose2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                               stride: Any = 1, padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                               dilation: Any = 1) -> torch.Tensor:
    return F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


# --- classic mistakes, as what the mistaken code returns ----------------------------------------

def mistake_input_axes_swapped(K: torch.Tensor, input_shape: Any) -> torch.Tensor:
    """Column index c * H + r for input pixel (r, c) instead of r * W + c."""
    h, w = input_shape
    C = reference_conv_matrix(K, input_shape)
    return C.reshape(-1, h, w).transpose(1, 2).reshape(-1, h * w)


def mistake_overwrites(Y: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Z[i:i+kh, j:j+kw] = Y[i, j] * K: where windows overlap, the last one written wins."""
    (h, w), (kh, kw) = Y.shape, K.shape
    Z = Y.new_zeros(h + kh - 1, w + kw - 1)
    for i in range(h):
        for j in range(w):
            Z[i:i + kh, j:j + kw] = Y[i, j] * K
    return Z


def bound_arguments(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """A conv_transpose2d call's arguments by name, defaults filled in."""
    bound = inspect.signature(reference_conv_transpose2d).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def mistake_cropped_one_side(*args: Any, **kwargs: Any) -> torch.Tensor:
    """2 * padding rows and columns dropped from the bottom and right instead of padding from each side."""
    a = bound_arguments(*args, **kwargs)
    h, w = reference_conv_transpose2d(**a).shape[-2:]
    return reference_conv_transpose2d(**{**a, "padding": 0})[..., :h, :w]


def mistake_cropped_minus_zero(*args: Any, **kwargs: Any) -> torch.Tensor:
    """Crops the full result with ``full[..., p:-p, q:-q]``: an axis with padding 0 comes out empty."""
    a = bound_arguments(*args, **kwargs)
    return empty_where_unpadded(reference_conv_transpose2d(**a), a["padding"])


def mistake_groups_interleaved(*args: Any, **kwargs: Any) -> torch.Tensor:
    """Output channel o * groups + g instead of g * (C_out // groups) + o for output o of group g."""
    a = bound_arguments(*args, **kwargs)
    out = reference_conv_transpose2d(**{**a, "bias": None})
    c_out, h, w = out.shape[-3:]
    out = out.reshape(-1, a["groups"], c_out // a["groups"], h, w).transpose(1, 2).reshape(out.shape)
    return out if a["bias"] is None else out + a["bias"][:, None, None]


def with_arguments(**changes: Any):
    """The reference called with some arguments replaced (a function of the original ones)."""
    def apply(*args: Any, **kwargs: Any) -> torch.Tensor:
        a = bound_arguments(*args, **kwargs)
        return reference_conv_transpose2d(**{**a, **{k: f(a) for k, f in changes.items()}})

    return apply


MISTAKES_CONV_MATRIX = (
    Mistake(N_("C transposed (one row per input pixel)"),
            N_("C has one row per output pixel and one column per input pixel: "
               "shape ((H - kh + 1) * (W - kw + 1), H * W)"), lambda K, s: reference_conv_matrix(K, s).T),
    Mistake(N_("kernel flipped"), N_("row (i, j) of C holds K[a, b] at input pixel (i + a, j + b): no flip"),
            lambda K, s: reference_conv_matrix(K.flip(0, 1), s)),
    Mistake(N_("input pixels numbered column by column"),
            N_("input pixel (r, c) is column r * W + c of C (row-major, as X.flatten() orders it)"),
            mistake_input_axes_swapped),
)

MISTAKES_TRANS_CONV2D = (
    Mistake(N_("= instead of += where windows overlap"),
            N_("each input pixel adds its scaled kernel: Z[i:i+kh, j:j+kw] += Y[i, j] * K"), mistake_overwrites),
    Mistake(N_("kernel flipped"), N_("the transposed convolution places K itself, unflipped, at each input pixel"),
            lambda Y, K: reference_trans_conv2d(Y, K.flip(0, 1))),
)

MISTAKES_CONV_TRANSPOSE2D = (
    Mistake(N_("padding cropped from one side only"),
            N_("padding removes `padding` rows and columns from EACH side of the full result: "
               "full[..., p:p + H_out, q:q + W_out]"), mistake_cropped_one_side),
    Mistake(*CROP_MINUS_ZERO, mistake_cropped_minus_zero),
    Mistake(N_("output_padding ignored"),
            N_("output_padding adds that many rows/columns at the bottom/right: "
               "H_out = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1"),
            with_arguments(output_padding=lambda a: 0)),
    Mistake(N_("kernel flipped"),
            N_("input pixel (i, j) adds weight[c, o, a, b] at row i*stride + a*dilation: no flip in the scatter form"),
            with_arguments(weight=lambda a: a["weight"].flip(2, 3))),
    Mistake(N_("output channels of the groups interleaved"),
            N_("group g's outputs are channels g*(C_out//groups) ... (g+1)*(C_out//groups) - 1, in one block"),
            mistake_groups_interleaved),
    Mistake(N_("bias not added"), N_("add bias[o] to every pixel of output channel o"),
            with_arguments(bias=lambda a: None)),
)


# --- strategies ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """A call of the student's function and a tensor the grader applies an identity to: x for
    C @ x, y for C^T @ y, the conv2d input x of the adjoint identity."""

    call: Call
    tensor: torch.Tensor


def probe_tensor(shape: Any, seed: int) -> torch.Tensor:
    """Entries like strategies.tensors' (-4 to 4 in steps of 1/2), from a seed: hypothesis draws and
    shrinks one number instead of every entry (a probe only needs to be generic, not small)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(-8, 9, tuple(shape), generator=generator, dtype=torch.float64) / 2


def seeds() -> st.SearchStrategy[int]:
    return st.integers(0, 2**16)


@st.composite
def kernel_and_shape(draw: Any) -> tuple[torch.Tensor, Any]:
    """K (kh, kw) and an input shape (H, W) with H >= kh, W >= kw, written as a tuple, a list or
    a torch.Size (the contract allows each)."""
    kh, kw = draw(strategies.pairs(strategies.kernel_sides()))
    h = draw(strategies.input_side(kh, extra=2))
    w = draw(strategies.input_side(kw, extra=2))
    container = draw(st.sampled_from((tuple, list, torch.Size)))
    return draw(strategies.tensors((kh, kw))), container((h, w))


def calls_conv_matrix():
    return kernel_and_shape().map(Call)


def conv_matrix_probe(call: Call, transposed: bool, seed: int) -> Probe:
    """conv_matrix's call (K, input_shape) with x of input_shape, or y of the output's shape when
    ``transposed``."""
    K, (h, w) = call.args
    side = (h - K.shape[0] + 1, w - K.shape[1] + 1) if transposed else (h, w)
    return Probe(call, probe_tensor(side, seed))


def conv_matrix_probes(transposed: bool) -> st.SearchStrategy[Probe]:
    return st.builds(conv_matrix_probe, calls_conv_matrix(), st.just(transposed), seeds())


@st.composite
def calls_trans_conv2d(draw: Any) -> Call:
    """Y (h, w) and K (kh, kw), all four sides independent (the kernel may be larger than Y)."""
    h, w = draw(strategies.pairs(strategies.sizes(1, 5)))
    kh, kw = draw(strategies.pairs(strategies.kernel_sides()))
    return Call((draw(strategies.tensors((h, w))), draw(strategies.tensors((kh, kw)))))


def written(pair: tuple[int, int], as_tuple: bool) -> int | tuple[int, int]:
    """An (h, w) argument as torch accepts it: an int when both sides agree (unless ``as_tuple``),
    else the tuple."""
    return pair if as_tuple or pair[0] != pair[1] else pair[0]


@st.composite
def transposed_input_side(draw: Any, kernel: int, stride: int, padding: int, dilation: int,
                          output_padding: int) -> int:
    """An input side n >= 1 whose transposed-convolution output is at least 1:
    (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1 >= 1."""
    short = 2 * padding - dilation * (kernel - 1) - output_padding
    lo = 1 + max(0, -(-short // stride))
    return draw(st.integers(lo, lo + 3))


@st.composite
def calls_conv_transpose2d(draw: Any) -> Call:
    """A valid F.conv_transpose2d call: groups dividing both channel counts (up to 4), kernel
    sides up to 3, stride up to 3, dilation up to 2, padding up to 2, output_padding below the
    stride or the dilation of its axis; batched or not, with or without bias. Arguments other
    than input and weight are passed by keyword, left out (sometimes) when they take their default.

    Every draw makes the same choices in the same order, whatever the earlier ones were (ranges
    are capped, never narrowed; the tensors come last), so that hypothesis can shrink groups,
    batch or a stride without losing the rest of a counterexample."""
    groups = draw(st.integers(1, 4))
    c_in = groups * min(draw(st.integers(1, 4)), 4 // groups)
    c_out = groups * min(draw(st.integers(1, 4)), 4 // groups)
    kernel = draw(strategies.pairs(st.integers(1, 3)))
    stride = draw(strategies.pairs(strategies.strides()))
    dilation = draw(strategies.pairs(st.integers(1, 2)))
    output_padding = tuple(min(draw(st.integers(0, 2)), max(s, d) - 1) for s, d in zip(stride, dilation))
    padding = draw(strategies.pairs(st.integers(0, 2)))
    h, w = (draw(transposed_input_side(*axis)) for axis in zip(kernel, stride, padding, dilation, output_padding))
    n, batched, biased = draw(strategies.batches()), draw(st.booleans()), draw(st.booleans())
    kwargs: dict[str, Any] = {}
    for name, value, default in (("stride", stride, (1, 1)), ("padding", padding, (0, 0)),
                                 ("output_padding", output_padding, (0, 0)), ("dilation", dilation, (1, 1))):
        explicit, as_tuple = draw(st.booleans()), draw(st.booleans())
        if value != default or explicit:
            kwargs[name] = written(value, as_tuple)
    if draw(st.booleans()) or groups > 1:
        kwargs["groups"] = groups
    input = draw(strategies.tensors(((n,) if batched else ()) + (c_in, h, w)))
    weight = draw(strategies.tensors((c_in, c_out // groups, *kernel)))
    if biased:
        kwargs["bias"] = draw(strategies.tensors((c_out,)))
    return Call((input, weight), kwargs)


def adjoint_probe(call: Call, seed: int) -> Probe:
    """A transposed-convolution call, its bias left out (the identity is about the linear part),
    and an x of its output's shape."""
    args = call.args[:2] + (None,) + call.args[3:] if len(call.args) > 2 else call.args
    linear = Call(args, {k: v for k, v in call.kwargs.items() if k != "bias"}, call.label)
    return Probe(linear, probe_tensor(reference_result(CONV_TRANSPOSE2D, linear).shape, seed))


def adjoint_probes() -> st.SearchStrategy[Probe]:
    return st.builds(adjoint_probe, calls_conv_transpose2d(), seeds())


# --- checks --------------------------------------------------------------------------------------

STRUCTURAL = ("type", "length", "shape", "dtype", "device")  # compare's mismatch kinds before values
FLOAT32 = Variant(torch.float32)


def well_formed_result(task: Task, ctx: Context, call: Call) -> torch.Tensor:
    """The student's result on ``call`` (float32 inputs), after the structural part of the
    comparison with the reference (type, shape, dtype, device); its values are left to judge."""
    got = judge_call(task, ctx, call, replace(FLOAT32, judge_values=False)).value
    expected = reference_result(task, call)
    mismatch = compare(expected, got, dtype=FLOAT32.dtype, device=ctx.settings.device, tolerance=task.tolerance)
    if mismatch and mismatch.kind in STRUCTURAL:
        raise CheckFailed(Failure("failed", _("{task}: {mismatch}").format(task=task.name, mismatch=mismatch.headline),
                                  call=as_received(call, FLOAT32), expected=expected, got=got, kind=mismatch.kind))
    return got.detach().to("cpu", torch.float64)


def probe_lines(name: str, tensor: torch.Tensor) -> list[str]:
    lines = value_lines(tensor)
    return [f"{name} = {lines[0]}"] + ["    " + line for line in lines[1:]]


def conv_matrix_product_check(transposed: bool, points: float = 1) -> Check:
    """C @ x must be conv2d(x, K), or C^T @ y must be conv_transpose2d(y, K), flattened."""
    if transposed:
        name, what, op = "transpose_is_conv_transpose2d", "C.T @ y.flatten()", "conv_transpose2d(y, K)"
        description = N_("C.T @ y.flatten() equals conv_transpose2d(y, K) (flattened) for every y")
        reference = F.conv_transpose2d
    else:
        name, what, op = "product_is_conv2d", "C @ x.flatten()", "conv2d(x, K)"
        description = N_("C @ x.flatten() equals conv2d(x, K) (flattened) for every x")
        reference = F.conv2d

    def judge(task: Task, ctx: Context, probe: Probe) -> None:
        K, _shape = probe.call.args
        C = well_formed_result(task, ctx, probe.call)
        v = probe.tensor
        expected = reference(v[None, None], K[None, None])[0, 0]
        got = ((C.T if transposed else C) @ v.flatten()).reshape(expected.shape).to(FLOAT32.dtype)
        mismatch = compare(expected, got, dtype=FLOAT32.dtype, device=torch.device("cpu"), tolerance=task.tolerance)
        if mismatch:
            raise CheckFailed(Failure(
                "failed", _("{product}, reshaped, is not {op}: {mismatch}").format(
                    product=what, op=op, mismatch=mismatch.headline),
                call=as_received(probe.call, FLOAT32), expected=expected, got=got,
                details=probe_lines("y" if transposed else "x", v)))

    def run(task: Task, ctx: Context) -> None:
        pinned = tuple(conv_matrix_probe(call, transposed, 0) for call in task.examples)
        probes = replace(task, calls=lambda: conv_matrix_probes(transposed), examples=pinned)
        checks.run_property(probes, ctx, lambda probe: judge(task, ctx, probe), checks.SECONDARY)

    return Check(name, description, points, run)


def judge_adjoint(task: Task, ctx: Context, probe: Probe) -> None:
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>, conv2d's output cut to y's size (it is
    larger when output_padding >= stride). The student's result is float32: the two sides may
    differ by the float32 tolerance, scaled by the sum of |x| * |reference result| (not by the
    inner product itself, which can be near zero after cancellation)."""
    got = well_formed_result(task, ctx, probe.call)
    a = bound_arguments(*probe.call.args, **probe.call.kwargs)
    y, x = a["input"], probe.tensor
    forward = F.conv2d(x, a["weight"], None, a["stride"], a["padding"], a["dilation"], a["groups"])
    lhs = float((forward[..., :y.shape[-2], :y.shape[-1]] * y).sum())
    rhs = float((x * got).sum())
    rtol, atol = task.tolerance.for_dtype(FLOAT32.dtype)
    allowed = atol + rtol * float((x * reference_result(task, probe.call)).abs().sum())
    if not abs(lhs - rhs) <= allowed:  # NaN fails too
        raise CheckFailed(Failure(
            "failed", _("{task} is not the adjoint of conv2d: <conv2d(x, w), y> = {lhs} but "
                        "<x, conv_transpose2d(y, w)> = {rhs} (y is the input, x a random tensor of the output's "
                        "shape)").format(task=task.name, lhs=format(lhs, "g"), rhs=format(rhs, "g")),
            call=as_received(probe.call, FLOAT32), details=probe_lines("x", x)))


def adjoint_of_conv2d(points: float = 2) -> Check:
    def run(task: Task, ctx: Context) -> None:
        pinned = tuple(adjoint_probe(call, 0) for call in task.examples)
        probes = replace(task, calls=adjoint_probes, examples=pinned)
        checks.run_property(probes, ctx, lambda probe: judge_adjoint(task, ctx, probe))

    return Check("adjoint_of_conv2d", N_("<conv2d(x, w), y> == <x, conv_transpose2d(y, w)> with the same stride, "
                                         "padding, dilation and groups (no bias)"), points, run)


# --- pinned examples and error cases ----------------------------------------------------------

def grid(*shape: int, start: int = 1) -> torch.Tensor:
    """start, start + 1, ... laid out in ``shape`` (float64): every entry distinct, so a swapped
    or flipped index shows."""
    n = 1
    for s in shape:
        n *= s
    return torch.arange(start, start + n, dtype=torch.float64).reshape(shape)


NOTES_4X4 = Call((grid(3, 3), (4, 4)), label=N_("the notes' 4x4 input and 3x3 kernel: C is 4x16"))
WIDE_INPUT = Call((grid(2, 1), [3, 4]), label=N_("a 3x4 input (given as a list) and a 2x1 kernel"))

OVERLAPPING = Call((grid(2, 2, start=0), grid(2, 2, start=0)), label=N_("2x2 windows that overlap"))
WIDE_KERNEL = Call((grid(2, 1), grid(1, 3)), label=N_("a 2x1 input and a 1x3 kernel"))

POSITIONAL = Call((grid(1, 2, 2, 3) / 4, grid(2, 3, 2, 2) / 4, torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64),
                   (2, 1), (1, 0), (1, 0), 1, (1, 2)),
                  label=N_("every argument positional: stride (2, 1), padding (1, 0), output_padding (1, 0), "
                           "dilation (1, 2)"))
GROUPS_UNBATCHED = Call((grid(4, 2, 3) / 8, grid(4, 2, 2, 2) / 8),
                        {"bias": torch.tensor([0.5, -0.5, 1.0, -1.0], dtype=torch.float64), "stride": 2, "groups": 2},
                        label=N_("unbatched, groups=2 (2 outputs each), stride 2, bias"))
OUTPUT_PADDING_BY_DILATION = Call((grid(1, 1, 2, 2), grid(1, 1, 2, 2)), {"output_padding": 1, "dilation": 2},
                                  label=N_("output_padding 1 with stride 1, allowed by dilation 2"))

CONV_TRANSPOSE2D = Task(
    name="conv_transpose2d",
    summary=N_("F.conv_transpose2d by hand: stride, padding, output_padding, groups, dilation, bias; batched or not"),
    calls=calls_conv_transpose2d,
    reference=reference_conv_transpose2d,
    examples=(POSITIONAL, GROUPS_UNBATCHED, OUTPUT_PADDING_BY_DILATION),
    error_cases=(
        ErrorCase(Call((grid(1, 2, 3, 3), grid(2, 1, 2, 2)), {"output_padding": 1}),
                  N_("output_padding 1 with stride 1 and dilation 1")),
        ErrorCase(Call((grid(1, 2, 3, 3), grid(2, 1, 2, 2)), {"stride": (1, 2), "output_padding": (0, 2)}),
                  N_("output_padding (0, 2) with stride (1, 2): not below the width's stride or dilation")),
        ErrorCase(Call((grid(1, 3, 3, 3), grid(3, 1, 2, 2)), {"groups": 2}), N_("groups=2 with 3 input channels")),
    ),
    checks=checks.standard(points=3) + (adjoint_of_conv2d(), checks.raises_like_torch()),
    mistakes=MISTAKES_CONV_TRANSPOSE2D,
    hint=N_("scatter: input pixel (i, j) adds input[i, j] * weight[:, :, a, b] at output row i*stride + a*dilation, "
            "column j*stride + b*dilation (+=, windows overlap); then drop `padding` rows and columns from each "
            "side; output_padding adds rows and columns at the end; groups split the channels into independent "
            "blocks; bias is per output channel (axis 1 when batched)"),
)

register(Exercise(
    module="ex07_transposed",
    title=N_("Transposed convolution"),
    notes=N_(r"""A valid cross-correlation of an $H \times W$ input with a $k_h \times k_w$ kernel is linear
in the input, so it is a matrix $C$ of shape $((H - k_h + 1)(W - k_w + 1), H W)$ acting on the
flattened input: row $r$ holds the kernel at the place of output pixel $r$, zeros elsewhere.
The transposed convolution multiplies by $C^T$ instead: it maps an output-sized tensor back to
the input's size, each input pixel adding a copy of the kernel scaled by its value (copies
overlap and add up). It is also the gradient of the convolution with respect to its input.
With stride $s$ the copies are placed $s$ pixels apart; padding $p$ removes $p$ rows and columns
from each side of the result; output_padding adds rows and columns at the bottom and right:
$H_{out} = (H - 1)s - 2p + d(k - 1) + \text{output\_padding} + 1$."""),
    tasks=(
        Task(
            name="conv_matrix",
            summary=N_("the dense matrix C with C @ X.flatten() == cust_conv2d(X, K).flatten()"),
            calls=calls_conv_matrix,
            reference=reference_conv_matrix,
            examples=(NOTES_4X4, WIDE_INPUT),
            checks=checks.standard() + (conv_matrix_product_check(transposed=False),
                                        conv_matrix_product_check(transposed=True)),
            mistakes=MISTAKES_CONV_MATRIX,
            hint=N_("C has one row per output pixel (i, j), row index i * (W - kw + 1) + j, and one column per "
                    "input pixel (r, c), column index r * W + c; row (i, j) holds K[a, b] at column "
                    "(i + a) * W + (j + b)"),
        ),
        Task(
            name="trans_conv2d",
            summary=N_("single-channel transposed convolution, stride 1, no padding: "
                       "(h, w) -> (h + kh - 1, w + kw - 1)"),
            calls=calls_trans_conv2d,
            reference=reference_trans_conv2d,
            examples=(OVERLAPPING, WIDE_KERNEL),
            checks=checks.standard(),
            mistakes=MISTAKES_TRANS_CONV2D,
            hint=N_("start from zeros of shape (h + kh - 1, w + kw - 1) and, for each (i, j), add Y[i, j] * K into "
                    "the window [i:i + kh, j:j + kw] (+=: the windows overlap); no kernel flip"),
        ),
        CONV_TRANSPOSE2D,
    ),
))
