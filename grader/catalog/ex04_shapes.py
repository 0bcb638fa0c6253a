"""ex04: the size formulas of convolution, transposed convolution and pooling, the shape of a
convolution's weight and its parameter count. Graded on ints against the sizes torch produces
on a grid of small configurations, and proved with sympy integer symbols."""

from __future__ import annotations

import functools

import sympy
import torch
import torch.nn.functional as F
from torch import nn

from grader.api import N_, SYMBOLIC, Call, Exercise, Mistake, Task, formulas, nonnegative, positive, register

# --- the sizes torch produces: the references ------------------------------------------------
# One axis is measured: the height of an (n, 1) input. Convolution and the weight use meta
# tensors (shapes only, no arithmetic); transposed convolution and pooling use tiny CPU tensors,
# because on meta tensors torch skips some of its argument checks (output_padding < stride or
# dilation), and those checks are part of the domain the student is graded on.


@functools.cache
def reference_conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """The output size of torch's conv2d along one axis."""
    x = torch.empty(1, 1, n, 1, device="meta")
    w = torch.empty(1, 1, k, 1, device="meta")
    return F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1)).shape[2]


@functools.cache
def reference_conv_transpose_output_size(n: int, k: int, stride: int = 1, padding: int = 0,
                                         output_padding: int = 0, dilation: int = 1) -> int:
    """The output size of torch's conv_transpose2d along one axis."""
    x = torch.zeros(1, 1, n, 1)
    w = torch.zeros(1, 1, k, 1)
    return F.conv_transpose2d(x, w, stride=(stride, 1), padding=(padding, 0), output_padding=(output_padding, 0),
                              dilation=(dilation, 1)).shape[2]


@functools.cache
def reference_pool_output_size(n: int, k: int, stride: int | None = None, padding: int = 0, dilation: int = 1,
                               ceil_mode: bool = False) -> int:
    """The output size of torch's max_pool2d along one axis (stride None: the kernel size)."""
    return F.max_pool2d(torch.zeros(1, 1, n, 1), (k, 1), stride=None if stride is None else (stride, 1),
                        padding=(padding, 0), dilation=(dilation, 1), ceil_mode=bool(ceil_mode)).shape[2]


@functools.cache
def reference_conv_weight_shape(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                                groups: int = 1) -> tuple[int, ...]:
    """The shape of nn.Conv2d's weight."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=False, device="meta")
    return tuple(conv.weight.shape)


@functools.cache
def reference_conv_param_count(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                               groups: int = 1, bias: bool = True) -> int:
    """How many numbers nn.Conv2d learns (weight and bias)."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=bool(bias), device="meta")
    return sum(p.numel() for p in conv.parameters())


# --- the closed forms the proofs compare with (tests check them against torch) -----------------
# They run on Python ints and on sympy symbols alike, so they use // and no comparison of sizes
# (only flags are branched on).


Size = int | sympy.Expr  # what a formula takes and returns


def formula_conv_output_size(n: Size, k: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1) -> Size:
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def formula_conv_transpose_output_size(n: Size, k: Size, stride: Size = 1, padding: Size = 0,
                                       output_padding: Size = 0, dilation: Size = 1) -> Size:
    return (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1


def formula_pool_output_size(n: Size, k: Size, stride: Size | None = None, padding: Size = 0, dilation: Size = 1,
                             ceil_mode: bool = False) -> Size:
    stride = k if stride is None else stride
    reach = n + 2 * padding - dilation * (k - 1) - 1  # where the last window may start, at most
    if not ceil_mode:
        return reach // stride + 1
    size = -(-reach // stride) + 1
    # torch drops a last window that would start in the right padding
    return size - 1 if (size - 1) * stride >= n + padding else size


def formula_conv_weight_shape(in_channels: Size, out_channels: Size, kernel_size: Size | tuple[Size, Size],
                              groups: Size = 1) -> tuple[Size, ...]:
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return (out_channels, in_channels // groups, kh, kw)


def formula_conv_param_count(in_channels: Size, out_channels: Size, kernel_size: Size | tuple[Size, Size],
                             groups: Size = 1, bias: bool = True) -> Size:
    weights = 1
    for side in formula_conv_weight_shape(in_channels, out_channels, kernel_size, groups):
        weights *= side
    return weights + (out_channels if bias else 0)


# --- classic mistakes ----------------------------------------------------------------------------
# Each has the reference's signature and returns what a formula making the mistake returns; a
# failing result equal to it on the counterexample names the mistake. Those built on the closed
# forms above also run on sympy symbols.


def mistake_conv_true_division(n: Size, k: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1) -> Size:
    """Divides by the stride with / : a float on ints (a fraction on symbols)."""
    return (n + 2 * padding - dilation * (k - 1) - 1) / stride + 1


def mistake_conv_no_plus_one(n: Size, k: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1) -> Size:
    """Counts the steps between windows, not the windows: no + 1."""
    return formula_conv_output_size(n, k, stride, padding, dilation) - 1


def mistake_conv_dilation_ignored(n: Size, k: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1) -> Size:
    """Takes the kernel to span k pixels whatever the dilation."""
    return formula_conv_output_size(n, k, stride, padding)


def mistake_conv_padding_once(n: Size, k: Size, stride: Size = 1, padding: Size = 0, dilation: Size = 1) -> Size:
    """Adds the padding once (n + padding) instead of on both sides (n + 2*padding)."""
    return formula_conv_output_size(n + padding, k, stride, 0, dilation)


def mistake_transpose_no_plus_one(n: Size, k: Size, stride: Size = 1, padding: Size = 0, output_padding: Size = 0,
                                  dilation: Size = 1) -> Size:
    """Leaves out the final + 1: (n - 1)*stride - 2*padding + dilation*(k - 1) + output_padding."""
    return formula_conv_transpose_output_size(n, k, stride, padding, output_padding, dilation) - 1


def mistake_transpose_dilation_ignored(n: Size, k: Size, stride: Size = 1, padding: Size = 0,
                                       output_padding: Size = 0, dilation: Size = 1) -> Size:
    """Takes the kernel to span k pixels whatever the dilation."""
    return formula_conv_transpose_output_size(n, k, stride, padding, output_padding)


def mistake_transpose_padding_once(n: Size, k: Size, stride: Size = 1, padding: Size = 0, output_padding: Size = 0,
                                   dilation: Size = 1) -> Size:
    """Removes the padding once (- padding) instead of from both sides (- 2*padding)."""
    return formula_conv_transpose_output_size(n, k, stride, padding, output_padding, dilation) + padding


def mistake_transpose_output_padding_ignored(n: Size, k: Size, stride: Size = 1, padding: Size = 0,
                                             output_padding: Size = 0, dilation: Size = 1) -> Size:
    """Leaves output_padding out of the size."""
    return formula_conv_transpose_output_size(n, k, stride, padding, 0, dilation)


def mistake_pool_true_division(n: Size, k: Size, stride: Size | None = None, padding: Size = 0, dilation: Size = 1,
                               ceil_mode: bool = False) -> Size:
    """Divides by the stride with / (ceil_mode itself handled right)."""
    if ceil_mode:
        return formula_pool_output_size(n, k, stride, padding, dilation, ceil_mode)
    return (n + 2 * padding - dilation * (k - 1) - 1) / (k if stride is None else stride) + 1


def mistake_pool_no_plus_one(n: Size, k: Size, stride: Size | None = None, padding: Size = 0, dilation: Size = 1,
                             ceil_mode: bool = False) -> Size:
    """Counts the steps between windows, not the windows: one less than torch's size."""
    return formula_pool_output_size(n, k, stride, padding, dilation, ceil_mode) - 1


def mistake_pool_dilation_ignored(n: Size, k: Size, stride: Size | None = None, padding: Size = 0,
                                  dilation: Size = 1, ceil_mode: bool = False) -> Size:
    """Takes the window to span k pixels whatever the dilation."""
    return formula_pool_output_size(n, k, stride, padding, 1, ceil_mode)


def mistake_pool_padding_once(n: Size, k: Size, stride: Size | None = None, padding: Size = 0, dilation: Size = 1,
                              ceil_mode: bool = False) -> Size:
    """Adds the padding once (n + padding) instead of on both sides (n + 2*padding)."""
    return formula_pool_output_size(n + padding, k, stride, 0, dilation, ceil_mode)


def mistake_pool_stride_none_as_one(n: Size, k: Size, stride: Size | None = None, padding: Size = 0,
                                    dilation: Size = 1, ceil_mode: bool = False) -> Size:
    """Takes stride=None as stride 1 instead of the kernel size."""
    return formula_pool_output_size(n, k, 1 if stride is None else stride, padding, dilation, ceil_mode)


def mistake_pool_ceil_mode_ignored(n: Size, k: Size, stride: Size | None = None, padding: Size = 0,
                                   dilation: Size = 1, ceil_mode: bool = False) -> Size:
    """Rounds down whatever ceil_mode says."""
    return formula_pool_output_size(n, k, stride, padding, dilation)


def mistake_pool_no_last_window_rule(n: Size, k: Size, stride: Size | None = None, padding: Size = 0,
                                     dilation: Size = 1, ceil_mode: bool = False) -> Size:
    """Rounds up in ceil_mode but keeps a last window that starts in the right padding."""
    if not ceil_mode:
        return formula_pool_output_size(n, k, stride, padding, dilation)
    stride = k if stride is None else stride
    return -(-(n + 2 * padding - dilation * (k - 1) - 1) // stride) + 1


def mistake_weight_without_groups(in_channels: Size, out_channels: Size, kernel_size: Size | tuple[Size, Size],
                                  groups: Size = 1) -> tuple[Size, ...]:
    """Gives every output channel all in_channels inputs: (out_channels, in_channels, kh, kw)."""
    return formula_conv_weight_shape(in_channels, out_channels, kernel_size)


def mistake_weight_true_division(in_channels: Size, out_channels: Size, kernel_size: Size | tuple[Size, Size],
                                 groups: Size = 1) -> tuple[Size, ...]:
    """Writes in_channels / groups: a float on ints."""
    out, _, kh, kw = formula_conv_weight_shape(in_channels, out_channels, kernel_size)
    return (out, in_channels / groups, kh, kw)


def mistake_weight_kernel_swapped(in_channels: Size, out_channels: Size, kernel_size: Size | tuple[Size, Size],
                                  groups: Size = 1) -> tuple[Size, ...]:
    """Unpacks kernel_size as (kw, kh): the last two sides swapped."""
    out, per_group, kh, kw = formula_conv_weight_shape(in_channels, out_channels, kernel_size, groups)
    return (out, per_group, kw, kh)


def mistake_params_without_bias(in_channels: Size, out_channels: Size, kernel_size: Size | tuple[Size, Size],
                                groups: Size = 1, bias: bool = True) -> Size:
    """Counts the weight's entries only, never the out_channels biases."""
    return formula_conv_param_count(in_channels, out_channels, kernel_size, groups, bias=False)


def mistake_params_without_groups(in_channels: Size, out_channels: Size, kernel_size: Size | tuple[Size, Size],
                                  groups: Size = 1, bias: bool = True) -> Size:
    """Counts out_channels * in_channels * kh * kw weights whatever the groups."""
    return formula_conv_param_count(in_channels, out_channels, kernel_size, 1, bias)


def mistake_params_true_division(in_channels: Size, out_channels: Size, kernel_size: Size | tuple[Size, Size],
                                 groups: Size = 1, bias: bool = True) -> Size:
    """Writes in_channels / groups: a float on ints."""
    out, _, kh, kw = formula_conv_weight_shape(in_channels, out_channels, kernel_size)
    return out * (in_channels / groups) * kh * kw + (out_channels if bias else 0)


NO_PLUS_ONE_HINT = N_("the + 1 counts the first window: (n + 2*padding - dilation*(k - 1) - 1) // stride + 1")
DILATION_HINT = N_("a dilated kernel spans dilation*(k - 1) + 1 pixels: use that span in place of k")
PADDING_TWICE_HINT = N_("padding is added on BOTH sides of the axis: n + 2*padding")
GROUPS_HINT = N_("each output channel sees only its group's in_channels // groups input channels: the weight is "
                 "(out_channels, in_channels // groups, kh, kw)")

# Order matters where two mistakes give the same size on a counterexample (the first that
# matches names it): a mistake that only shows with a particular argument (dilation, padding,
# ceil_mode, stride=None) comes before the off-by-one that shows everywhere, since at its own
# smallest counterexample (all defaults) the specific ones equal torch and cannot match.
CONV_MISTAKES = (
    Mistake(formulas.TRUE_DIVISION_MISTAKE, formulas.FLOORDIV_HINT, mistake_conv_true_division),
    Mistake(N_("dilation ignored"), DILATION_HINT, mistake_conv_dilation_ignored),
    Mistake(N_("padding counted once instead of twice"), PADDING_TWICE_HINT, mistake_conv_padding_once),
    Mistake(N_("output size off by one (the + 1 missing)"), NO_PLUS_ONE_HINT, mistake_conv_no_plus_one),
)
CONV_TRANSPOSE_MISTAKES = (
    Mistake(N_("dilation ignored"), N_("a dilated kernel spans dilation*(k - 1) + 1 pixels: the size grows by "
                                       "dilation*(k - 1)"), mistake_transpose_dilation_ignored),
    Mistake(N_("padding counted once instead of twice"), N_("padding is removed from BOTH sides: - 2*padding"),
            mistake_transpose_padding_once),
    Mistake(N_("output_padding ignored"), N_("output_padding adds that many pixels on one side: + output_padding"),
            mistake_transpose_output_padding_ignored),
    Mistake(N_("output size off by one (the + 1 missing)"), N_("the transposed size ends in + 1: (n - 1)*stride - "
                                                               "2*padding + dilation*(k - 1) + output_padding + 1"),
            mistake_transpose_no_plus_one),
)
POOL_MISTAKES = (
    Mistake(formulas.TRUE_DIVISION_MISTAKE, formulas.FLOORDIV_HINT, mistake_pool_true_division),
    Mistake(N_("ceil_mode ignored"), N_("with ceil_mode=True round the division up: -(-(n + 2*padding - "
                                        "dilation*(k - 1) - 1) // stride) + 1, then apply torch's last-window rule"),
            mistake_pool_ceil_mode_ignored),
    Mistake(N_("ceil_mode without torch's last-window rule"), N_("after rounding up, drop the last window if it "
                                                                 "would start in the right padding: size - 1 when "
                                                                 "(size - 1)*stride >= n + padding"),
            mistake_pool_no_last_window_rule),
    Mistake(N_("dilation ignored"), DILATION_HINT, mistake_pool_dilation_ignored),
    Mistake(N_("padding counted once instead of twice"), PADDING_TWICE_HINT, mistake_pool_padding_once),
    Mistake(N_("stride=None taken as 1"), N_("stride=None means stride = kernel size (non-overlapping windows): "
                                             "stride = k if stride is None else stride"),
            mistake_pool_stride_none_as_one),
    Mistake(N_("output size off by one (the + 1 missing)"), NO_PLUS_ONE_HINT, mistake_pool_no_plus_one),
)
WEIGHT_MISTAKES = (
    Mistake(N_("weight shape without // groups"), GROUPS_HINT, mistake_weight_without_groups),
    Mistake(formulas.TRUE_DIVISION_MISTAKE, formulas.FLOORDIV_HINT, mistake_weight_true_division),
    Mistake(N_("kernel_size read as (kw, kh)"),
            N_("kernel_size (kh, kw) is (rows, columns): the weight ends in kh, kw"), mistake_weight_kernel_swapped),
)
PARAM_MISTAKES = (
    Mistake(N_("parameter count without the bias"),
            N_("with bias=True add one bias per output channel: + out_channels"), mistake_params_without_bias),
    Mistake(N_("parameter count without // groups"), GROUPS_HINT, mistake_params_without_groups),
    Mistake(formulas.TRUE_DIVISION_MISTAKE, formulas.FLOORDIV_HINT, mistake_params_true_division),
)


# --- the grids of small configurations ---------------------------------------------------------

KERNEL_SIZES = (1, 2, 3, (1, 2), (2, 1), (2, 3), (3, 2))
CHANNELS = range(1, 7)


@functools.cache
def conv_grid() -> tuple[Call, ...]:
    return formulas.grid(reference_conv_output_size, n=range(1, 10), k=range(1, 5), stride=range(1, 4),
                         padding=range(3), dilation=range(1, 4))


@functools.cache
def conv_transpose_grid() -> tuple[Call, ...]:
    return formulas.grid(reference_conv_transpose_output_size, n=range(1, 7), k=range(1, 5), stride=range(1, 4),
                         padding=range(4), output_padding=range(3), dilation=range(1, 4))


@functools.cache
def pool_grid(ceil_mode: bool) -> tuple[Call, ...]:
    return formulas.grid(reference_pool_output_size, n=range(1, 10), k=range(1, 5), stride=(None, 1, 2, 3),
                         padding=range(3), dilation=range(1, 4), ceil_mode=(ceil_mode,))


@functools.cache
def weight_grid() -> tuple[Call, ...]:
    return formulas.grid(reference_conv_weight_shape, in_channels=CHANNELS, out_channels=CHANNELS,
                         kernel_size=KERNEL_SIZES, groups=CHANNELS)


@functools.cache
def param_grid() -> tuple[Call, ...]:
    return formulas.grid(reference_conv_param_count, in_channels=CHANNELS, out_channels=CHANNELS,
                         kernel_size=KERNEL_SIZES, groups=CHANNELS, bias=(True, False))


# --- symbols and pinned examples ---------------------------------------------------------------
# In the symbolic calls the flags (ceil_mode, bias) are passed as 0 and 1, never left to the
# student's default of False or True: sympy refuses arithmetic with a bool (True * n raises),
# and ``bias * out_channels`` is a correct way to write the count.

n, k, s, d = positive("n"), positive("k"), positive("s"), positive("d")
p, q = nonnegative("p"), nonnegative("q")
c_in, c_out, g, kh, kw = (positive(name) for name in ("c_in", "c_out", "g", "kh", "kw"))

CONV_EXAMPLES = (
    Call((32, 5), label=N_("the notes' CNNNet: conv1 on a 32x32 image")),
    Call((14, 3), label=N_("the notes' CNNNet: conv2 on 14x14")),
    Call((224, 7), {"stride": 2, "padding": 3}, label=N_("a ResNet stem: 224 -> 112")),
    Call((64, 3), {"stride": 2, "padding": 2, "dilation": 2}, label=N_("a dilated, strided 3x3 on 64")),
)
CONV_TRANSPOSE_EXAMPLES = (
    Call((2, 3), label=N_("the notes' example: back from 2 to 4")),
    Call((112, 4), {"stride": 2, "padding": 1}, label=N_("a 2x upsampling: 112 -> 224")),
    Call((7, 3), {"stride": 2, "padding": 1, "output_padding": 1}, label=N_("output_padding restores 14 from 7")),
)
POOL_EXAMPLES = (
    Call((28, 2), {"stride": 2}, label=N_("the notes' CNNNet: pool1 on 28x28")),
    Call((12, 2), {"stride": 2}, label=N_("the notes' CNNNet: pool2 on 12x12")),
    Call((112, 3), {"stride": 2, "padding": 1}, label=N_("a ResNet max pool: 112 -> 56")),
    Call((28, 2), {"stride": None}, label=N_("stride=None passed explicitly")),
)
POOL_CEIL_EXAMPLES = (  # tried before the grid: the first two tell the classic mistakes apart
    Call((4, 2), {"ceil_mode": True},
         label=N_("ceil_mode, stride None, an exact division: windows start at 0 and 2")),
    Call((5, 2), {"ceil_mode": True}, label=N_("ceil_mode, stride None: windows start at 0, 2 and 4 (the last "
                  "one cut short)")),
    Call((112, 3), {"stride": 2, "ceil_mode": True}, label=N_("ceil_mode on 112")),
    Call((5, 2), {"stride": 2, "padding": 1, "ceil_mode": True},
         label=N_("ceil_mode: a 4th window would start in the right padding, so there are 3")),
)
WEIGHT_EXAMPLES = (
    Call((6, 12, 1), label=N_("the notes' listing, groups=1")),
    Call((6, 12, 1), {"groups": 2}, label=N_("the notes' listing, groups=2")),
    Call((6, 12, 1), {"groups": 3}, label=N_("the notes' listing, groups=3")),
    Call((3, 16, 5), label=N_("the notes' CNNNet: conv1")),
    Call((16, 36, (3, 5)), {"groups": 4}, label=N_("a 3x5 kernel, 4 groups")),
)
PARAM_EXAMPLES = (
    Call((3, 16, 5), label=N_("the notes' CNNNet: conv1")),
    Call((16, 36, 3), label=N_("the notes' CNNNet: conv2")),
    Call((6, 12, (1, 3)), {"groups": 3, "bias": False}, label=N_("a 1x3 kernel, 3 groups, no bias")),
)



def symbolic(*calls: Call) -> tuple[Call, ...]:
    return tuple(Call(c.args, c.kwargs, label=SYMBOLIC) for c in calls)


CONV_SYMBOLIC = symbolic(Call((n, k), {"stride": s, "padding": p, "dilation": d}), Call((n, k)))
CONV_TRANSPOSE_SYMBOLIC = symbolic(
    Call((n, k), {"stride": s, "padding": p, "output_padding": q, "dilation": d}), Call((n, k)))
POOL_SYMBOLIC = symbolic(Call((n, k), {"stride": s, "padding": p, "dilation": d, "ceil_mode": 0}),
                         Call((n, k), {"padding": p, "dilation": d, "ceil_mode": 0}), Call((n, k), {"ceil_mode": 0}))
WEIGHT_SYMBOLIC = symbolic(Call((c_in, c_out, (kh, kw)), {"groups": g}), Call((c_in, c_out, (kh, kw))))
PARAM_SYMBOLIC = symbolic(Call((c_in, c_out, (kh, kw)), {"groups": g, "bias": 1}),
                          Call((c_in, c_out, (kh, kw)), {"groups": g, "bias": 0}),
                          Call((c_in, c_out, (kh, kw)), {"bias": 1}))


register(Exercise(
    module="ex04_shapes",
    title=N_("Size formulas"),
    notes=N_(r"""Along one axis, a convolution with kernel $k$, stride $s$, padding $p$ and dilation
$d$ turns $n$ input pixels into $\left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1$
outputs: a dilated kernel spans $d(k-1)+1$ pixels, and it can start at every $s$-th position
of the padded input that leaves room for it. A transposed convolution inverts this size map:
$(n-1)s - 2p + d(k-1) + \text{output\_padding} + 1$. Pooling uses the convolution's formula
with the stride defaulting to the kernel size; with `ceil_mode=True` it rounds up instead, but
drops a last window that would start in the right padding. A convolution's weight has shape
$(C_{out}, C_{in}/\text{groups}, k_h, k_w)$, plus $C_{out}$ biases.

Each function must work on Python ints *and* on sympy integer symbols, so that the formula can
be proved for every size at once: use `//` for floor division, never `/` or `math.floor`."""),
    tasks=(
        Task(
            name="conv_output_size",
            summary=N_("the output size of a convolution along one axis"),
            reference=reference_conv_output_size,
            forbidden=None,
            examples=CONV_EXAMPLES,
            mistakes=CONV_MISTAKES,
            checks=(
                formulas.exhaustive("matches_torch", N_("the int torch produces, on every configuration torch "
                                                        "accepts with n <= 9, k <= 4, stride <= 3, padding <= 2, "
                                                        "dilation <= 3"), 2, lambda: (*conv_grid(), *CONV_EXAMPLES)),
                formulas.proof(1, CONV_SYMBOLIC, formula_conv_output_size,
                               N_("with sympy integer symbols, equal to (n + 2*padding - dilation*(k - 1) - 1) "
                                  "// stride + 1 for every size")),
            ),
            hint=N_("floor((n + 2*padding - dilation*(k - 1) - 1) / stride) + 1, written with //"),
        ),
        Task(
            name="conv_transpose_output_size",
            summary=N_("the output size of a transposed convolution along one axis"),
            reference=reference_conv_transpose_output_size,
            forbidden=None,
            examples=CONV_TRANSPOSE_EXAMPLES,
            mistakes=CONV_TRANSPOSE_MISTAKES,
            checks=(
                formulas.exhaustive("matches_torch", N_("the int torch produces, on every configuration torch "
                                                        "accepts with n <= 6, k <= 4, stride <= 3, padding <= 3, "
                                                        "output_padding <= 2, dilation <= 3"), 2,
                                    lambda: (*conv_transpose_grid(), *CONV_TRANSPOSE_EXAMPLES)),
                formulas.proof(1, CONV_TRANSPOSE_SYMBOLIC, formula_conv_transpose_output_size,
                               N_("with sympy integer symbols, equal to (n - 1)*stride - 2*padding + "
                                  "dilation*(k - 1) + output_padding + 1 for every size")),
            ),
            hint=N_("a transposed convolution maps sizes back: (n - 1)*stride - 2*padding + dilation*(k - 1) "
                    "+ output_padding + 1"),
        ),
        Task(
            name="pool_output_size",
            summary=N_("the output size of max/avg pooling along one axis, with torch's ceil_mode"),
            reference=reference_pool_output_size,
            forbidden=None,
            examples=POOL_EXAMPLES + POOL_CEIL_EXAMPLES,
            mistakes=POOL_MISTAKES,
            checks=(
                formulas.exhaustive("matches_torch", N_("the int torch produces, on every configuration torch "
                                                        "accepts with n <= 9, k <= 4, stride None or <= 3, "
                                                        "padding <= 2, dilation <= 3 (ceil_mode=False)"), 2,
                                    lambda: (*pool_grid(False), *POOL_EXAMPLES)),
                formulas.exhaustive("ceil_mode", N_("ceil_mode=True: the int torch produces, on every configuration "
                                                    "torch accepts with n <= 9, k <= 4, stride None or <= 3, "
                                                    "padding <= 2, dilation <= 3"), 1,
                                    lambda: (*POOL_CEIL_EXAMPLES, *pool_grid(True))),
                formulas.proof(1, POOL_SYMBOLIC, formula_pool_output_size,
                               N_("with sympy integer symbols, equal to (n + 2*padding - dilation*(k - 1) - 1) "
                                  "// stride + 1 (stride None: k) for every size")),
            ),
            hint=N_("stride None means stride = k. With ceil_mode, round the division up, then drop the last "
                    "window if it would start in the right padding, i.e. if (size - 1)*stride >= n + padding"),
        ),
        Task(
            name="conv_weight_shape",
            summary=N_("the shape of nn.Conv2d's weight"),
            reference=reference_conv_weight_shape,
            forbidden=None,
            examples=WEIGHT_EXAMPLES,
            mistakes=WEIGHT_MISTAKES,
            checks=(
                formulas.exhaustive("matches_torch", N_("the shape of nn.Conv2d's weight, for channels <= 6, "
                                                        "groups dividing both, kernel_size 1, 2, 3 or (h, w) with "
                                                        "h != w"), 1,
                                    lambda: (*weight_grid(), *WEIGHT_EXAMPLES)),
                formulas.proof(1, WEIGHT_SYMBOLIC, formula_conv_weight_shape,
                               N_("with sympy integer symbols, equal to (out_channels, in_channels // groups, kh, kw) "
                                  "for every size")),
            ),
            hint=N_("each output channel sees only its group's in_channels // groups input channels: "
                    "(out_channels, in_channels // groups, kh, kw); an int kernel_size k means (k, k)"),
        ),
        Task(
            name="conv_param_count",
            summary=N_("how many parameters nn.Conv2d learns"),
            reference=reference_conv_param_count,
            forbidden=None,
            examples=PARAM_EXAMPLES,
            mistakes=PARAM_MISTAKES,
            checks=(
                formulas.exhaustive("matches_torch", N_("the number of parameters of nn.Conv2d, for channels <= 6, "
                                                        "groups dividing both, kernel_size 1, 2, 3 or (h, w) with "
                                                        "h != w, with and without bias"), 1,
                                    lambda: (*param_grid(), *PARAM_EXAMPLES)),
                formulas.proof(1, PARAM_SYMBOLIC, formula_conv_param_count,
                               N_("with sympy integer symbols, equal to out_channels * (in_channels // groups) * kh "
                                  "* kw (+ out_channels with bias) for every size")),
            ),
            hint=N_("the weight's entries, out_channels * (in_channels // groups) * kh * kw, plus one bias per "
                    "output channel when bias=True"),
        ),
    ),
))
