"""ex09: the receptive field of a stack of convolution/pooling layers along one axis: its size,
the jump between neighbouring units, and the centre of the first unit's field.

The reference is the closed-form recurrence. :func:`gradient_footprint` measures the same three
numbers from real convolutions (where the gradient of one output unit is non-zero in the input);
the tests hold the reference to it, and a failed check shows the measurement to the student.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.api import (
    N_,
    Call,
    Check,
    CheckFailed,
    Context,
    Exercise,
    Failure,
    Mistake,
    Task,
    Variant,
    _,
    judge_call,
    prepare,
    refuse,
    register,
    run_property,
    strategies,
)

Layer = tuple[int, int, int, int]  # (kernel_size, stride, padding, dilation)


def reference_receptive_field(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """(size, jump, start) by the recurrence, layer by layer from the input:
    size += (k_eff - 1) * jump; start += ((k_eff - 1) / 2 - padding) * jump; jump *= stride,
    with k_eff = dilation * (kernel_size - 1) + 1 and (1, 1, 0.0) before any layer."""
    size, jump, start = 1, 1, 0.0
    for kernel, stride, padding, dilation in layers:
        k_eff = dilation * (kernel - 1) + 1
        size += (k_eff - 1) * jump
        start += ((k_eff - 1) / 2 - padding) * jump
        jump *= stride
    return size, jump, start


def mistake_own_stride_in_size(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """Grows the size by (k_eff - 1) * stride, the layer's own stride, instead of (k_eff - 1) * jump,
    the spacing of the layer's inputs (start and jump are right)."""
    size, jump, start = 1, 1, 0.0
    for kernel, stride, padding, dilation in layers:
        k_eff = dilation * (kernel - 1) + 1
        size += (k_eff - 1) * stride
        start += ((k_eff - 1) / 2 - padding) * jump
        jump *= stride
    return size, jump, start


def mistake_jump_set_to_stride(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """Sets ``jump = stride`` instead of ``jump *= stride``: each layer is scaled by the previous
    layer's stride alone, not by the product of all earlier strides."""
    size, jump, start = 1, 1, 0.0
    for kernel, stride, padding, dilation in layers:
        k_eff = dilation * (kernel - 1) + 1
        size += (k_eff - 1) * jump
        start += ((k_eff - 1) / 2 - padding) * jump
        jump = stride
    return size, jump, start


def mistake_dilation_ignored(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """Uses the kernel size as the window's width, as if every dilation were 1."""
    return reference_receptive_field([(kernel, stride, padding, 1)
                                      for kernel, stride, padding, _dilation in layers])


def mistake_padding_ignored(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """Moves ``start`` by (k_eff - 1) / 2 * jump, forgetting the padding's shift to the left."""
    return reference_receptive_field([(kernel, stride, 0, dilation)
                                      for kernel, stride, _padding, dilation in layers])


def mistake_start_at_left_edge(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """Returns the first field's leftmost pixel (start -= padding * jump only), not its centre."""
    size, jump, start = reference_receptive_field(layers)
    return size, jump, start - (size - 1) / 2


def mistake_size_one_too_small(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """Starts the size at 0 (or measures it as last - first without the + 1): one pixel short."""
    size, jump, start = reference_receptive_field(layers)
    return size - 1, jump, start


def mistake_size_one_too_large(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """Returns the size one pixel too wide (a fencepost error such as starting the size at 2)."""
    size, jump, start = reference_receptive_field(layers)
    return size + 1, jump, start


def mistake_jump_updated_first(layers: Sequence[Layer]) -> tuple[int, int, float]:
    """Multiplies ``jump`` by the layer's stride before growing ``size`` and moving ``start``, so a
    layer's own stride widens its own window."""
    size, jump, start = 1, 1, 0.0
    for kernel, stride, padding, dilation in layers:
        k_eff = dilation * (kernel - 1) + 1
        jump *= stride
        size += (k_eff - 1) * jump
        start += ((k_eff - 1) / 2 - padding) * jump
    return size, jump, start


SIZE_HINT = N_("the size starts at 1 (one pixel) and grows by (k_eff - 1) * jump per layer")

MISTAKES = (
    Mistake(N_("the layer's own stride used instead of the cumulative jump"),
            N_("grow the size by (k_eff - 1) * jump, where jump is the product of the strides of the earlier "
               "layers, not this layer's stride"),
            mistake_own_stride_in_size),
    Mistake(N_("jump set to the layer's stride instead of multiplied by it"),
            N_("jump is the product of all the strides so far: jump *= stride, not jump = stride"),
            mistake_jump_set_to_stride),
    Mistake(N_("dilation ignored"),
            N_("a dilated kernel spans k_eff = d*(k-1)+1 input pixels of its layer: use k_eff, not k"),
            mistake_dilation_ignored),
    Mistake(N_("padding ignored in start"),
            N_("padding p shifts the first window p of the layer's inputs to the left: "
               "start += ((k_eff-1)/2 - p) * jump"), mistake_padding_ignored),
    Mistake(N_("start at the field's left edge instead of its centre"),
            N_("start is the centre of the first field: start += ((k_eff-1)/2 - p) * jump, i.e. its left edge "
               "plus (size-1)/2"), mistake_start_at_left_edge),
    Mistake(N_("size one pixel too small"), SIZE_HINT, mistake_size_one_too_small),
    Mistake(N_("size one pixel too large"), SIZE_HINT, mistake_size_one_too_large),
    Mistake(N_("jump multiplied before updating size and start"),
            N_("update size and start with the jump of the layer's inputs, then jump *= stride: a stride spaces "
               "the outputs, not its own window"),
            mistake_jump_updated_first),
)


def gradient_footprint(layers: Sequence[Layer]) -> dict[str, Any]:
    """(size, jump, start) measured with real 1-D convolutions (all-ones weights, float64).

    The input is made long enough that the fields of two neighbouring output units ``unit`` and
    ``unit + 1`` in the middle lie wholly inside it, untouched by any padding, which is
    what makes the measurement independent of the recurrence: the field of unit ``u`` is the field
    of unit 0 moved by ``u * jump``. ``size`` is the extent of the non-zero gradient of ``unit``
    (dilation may leave holes inside it), ``jump`` the shift between the two footprints and
    ``start`` the centre of the footprint of ``unit`` less ``unit * jump``. Also returned:
    ``unit``, ``length`` (of the input) and ``first``/``last`` (the footprint's ends).
    """
    bound = math.prod(dilation * (kernel - 1) + 1 + stride for kernel, stride, _padding, dilation in layers)
    reach = math.prod(stride for _kernel, stride, _padding, _dilation in layers) * (
        1 + sum(p for _kernel, _stride, p, _dilation in layers))
    length = 4 * (bound + reach) + 8
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    y = x
    for kernel, stride, padding, dilation in layers:
        y = F.conv1d(y, torch.ones(1, 1, kernel, dtype=torch.float64), stride=stride, padding=padding,
                     dilation=dilation)
    unit = y.shape[-1] // 2 - 1
    ends = []
    for u in (unit, unit + 1):
        (grad,) = torch.autograd.grad(y[0, 0, u], x, retain_graph=True)
        touched = grad[0, 0].nonzero().flatten()
        first, last = int(touched[0]), int(touched[-1])
        if first == 0 or last == length - 1:
            raise AssertionError(f"the field of unit {u} reaches the border of an input of {length} pixels")
        ends.append((first, last))
    (first, last), (next_first, _next_last) = ends
    jump = next_first - first
    return dict(size=last - first + 1, jump=jump, start=(first + last) / 2 - unit * jump, unit=unit,
                length=length, first=first, last=last)


def footprint_details(layers: Sequence[Layer]) -> list[str]:
    """The measurement in words, for the feedback under a wrong answer."""
    m = gradient_footprint(layers)
    centre = (m["first"] + m["last"]) / 2
    # the input is at least 16 pixels long (see gradient_footprint): "pixels" is always plural
    line = _("measured: in a stack of real convolutions on an input of {length} pixels, output unit {unit} has a "
             "non-zero gradient at input pixels {first} to {last} (size {size}, centre {centre}) and unit "
             "{next_unit} at pixels {next_first} to {next_last} (jump {jump}); so unit 0 is centred at "
             "{centre} - {unit}*{jump} = {start}")
    return [line.format(length=m["length"], unit=m["unit"], first=m["first"], last=m["last"], size=m["size"],
                        centre=format(centre, "g"), next_unit=m["unit"] + 1, next_first=m["first"] + m["jump"],
                        next_last=m["last"] + m["jump"], jump=m["jump"], start=format(m["start"], "g"))]


@st.composite
def layer_stacks(draw: Any) -> list[Layer]:
    """0 to 4 layers: kernel 1-4, stride 1-3 (sometimes 1 in every layer), padding 0-3,
    dilation 1-3."""
    stride = st.just(1) if draw(st.booleans()) else strategies.strides()
    layer = st.tuples(strategies.kernel_sides(), stride, st.integers(0, 3), strategies.dilations())
    return draw(st.lists(layer, max_size=4))


def calls() -> st.SearchStrategy[Call]:
    return layer_stacks().map(lambda layers: Call((layers,)))


NOTES_EXAMPLE = Call(([(3, 1, 0, 1), (3, 1, 0, 1)],), label=N_("the notes' two 3-wide layers (s3 sees x1 to x5)"))
EXAMPLES = (  # simplest first, so a wrong answer is shown on the smallest stack that exposes it
    Call(([],), label=N_("no layers: one pixel, centred at 0")),
    NOTES_EXAMPLE,
    Call(([(3, 2, 0, 1)],), label=N_("one layer: a stride does not widen its own layer's field")),
    Call(([(3, 1, 0, 2)],), label=N_("dilation 2 spreads a 3-wide kernel over 5 pixels")),
    Call(([(3, 1, 1, 1), (2, 2, 1, 1)],), label=N_("padding moves the first field's centre left of pixel 0")),
    Call(([(3, 2, 0, 1), (3, 2, 0, 1), (3, 1, 0, 1)],), label=N_("strides compound: the jump is their product")),
    Call(([(5, 1, 0, 1), (2, 2, 0, 1), (3, 1, 0, 1), (2, 2, 0, 1)],),
         label=N_("the notes' CNNNet: conv 5, max pool 2/2, conv 3, max pool 2/2")),
)


def returns_three_numbers(task: Task, ctx: Context) -> None:
    """(size, jump, start): a tuple or list of an int, an int and any real number."""
    args, kwargs = prepare(NOTES_EXAMPLE, Variant(), ctx.settings.device)  # a fresh list each time
    outcome = ctx.call(task, args, kwargs)
    refuse(outcome, task, NOTES_EXAMPLE)
    got = outcome.value
    problem = None
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        problem = _("{task} should return a tuple (size, jump, start); got {got}")
    elif not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in got[:2]):
        problem = _("{task} size and jump should be ints; got {got}")
    elif isinstance(got[2], bool) or not isinstance(got[2], numbers.Real):
        problem = _("{task} start should be a number (a float, as it can be a half pixel); got {got}")
    if problem:
        raise CheckFailed(Failure("failed", problem.format(task=task.name, got=repr(got)), call=NOTES_EXAMPLE,
                                  expected=reference_receptive_field(*NOTES_EXAMPLE.args), got=got))


def matches_reference(task: Task, ctx: Context) -> None:
    """Every stack gives the reference's numbers; a wrong answer is shown against the measured
    footprint of real convolutions."""

    def judge(call: Call) -> None:
        try:
            judge_call(task, ctx, call, Variant(torch.float64))
        except CheckFailed as exc:
            if call.args[0]:
                exc.failure.details.extend(footprint_details(call.args[0]))
            raise

    run_property(task, ctx, judge)


register(Exercise(
    module="ex09_receptive_field",
    title=N_("Receptive fields"),
    notes=N_(r"""A unit of the last layer depends on a window of input pixels: its receptive field. Walk
the layers from the input, keeping three numbers for the units reached so far: `size` (the
field's width in input pixels), `jump` (the distance in input pixels between neighbouring units)
and `start` (the input coordinate of the centre of the first unit's field, pixel $i$ being at
$i$). Before any layer they are $(1, 1, 0)$. A layer with kernel $k$, stride $s$, padding $p$ and
dilation $d$ spans $k' = d(k-1)+1$ of its inputs, so `size` grows by $(k'-1)\cdot$`jump` and
`start` moves by $((k'-1)/2 - p)\cdot$`jump` (padding can make it negative); only then is `jump`
multiplied by $s$, since a layer's stride spaces its outputs, not its own window. Return
`(size, jump, start)` as a tuple or list: `size` and `jump` ints, `start` any real number
(`2` and `2.0` are both accepted)."""),
    tasks=(
        Task(
            name="receptive_field",
            summary=N_("(size, jump, start) of a stack of (kernel, stride, padding, dilation) layers"),
            calls=calls,
            reference=reference_receptive_field,
            forbidden=None,
            examples=EXAMPLES,
            checks=(
                Check("returns_three_numbers", N_("returns (size, jump, start): two ints and a number"), 1,
                      returns_three_numbers),
                Check("matches_reference", N_("size, jump and start are right for every stack of layers, "
                                              "as the gradient of one output unit of real convolutions shows"),
                      3, matches_reference),
            ),
            mistakes=MISTAKES,
            hint=N_("walk the layers in order from the input: k_eff = d*(k-1)+1; size += (k_eff-1)*jump; "
                    "start += ((k_eff-1)/2 - p)*jump; then jump *= s"),
        ),
    ),
))
