"""Judging one call: prepare the inputs a check tests, call the student, compare with the
reference. Every property check is this, repeated over the inputs hypothesis draws."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

import torch

from grader.engine import replay, timings
from grader.engine.compare import compare
from grader.engine.context import Context
from grader.engine.exercise import Call, Task, Tolerance
from grader.engine.outcome import Abort, CallOutcome, CheckFailed, Failure
from grader.engine.strategies import noncontiguous
from grader.i18n import _


@dataclass(frozen=True)
class Variant:
    """What a property check varies about the inputs, and what it judges."""

    dtype: torch.dtype = torch.float32
    layout: str = "contiguous"  # or "noncontiguous"
    judge_values: bool = True  # compare the result with the reference
    judge_inputs: bool = False  # the inputs must be unchanged after the call
    repeat: bool = False  # call twice: the same input must give the same result


def map_tensors(value: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Apply ``fn`` to every tensor inside nested tuples, lists and dicts."""
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, (tuple, list)):
        return type(value)(map_tensors(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: map_tensors(v, fn) for k, v in value.items()}
    return value


def prepare(call: Call, variant: Variant, device: torch.device) -> tuple[tuple, dict[str, Any]]:
    """The call's arguments as the student receives them: fresh tensors of the variant's dtype,
    on the device, in its memory layout."""

    def convert(t: torch.Tensor) -> torch.Tensor:
        out = t.to(device=device, dtype=variant.dtype if t.is_floating_point() else t.dtype, copy=True)
        return noncontiguous(out) if variant.layout == "noncontiguous" else out

    return map_tensors(tuple(call.args), convert), map_tensors(dict(call.kwargs), convert)


def reference_result(task: Task, call: Call) -> Any:
    """The expected result: the reference on the float64 CPU master copies (computed once per
    run for a call :mod:`grader.engine.replay` keeps; never modify it)."""
    def compute() -> Any:
        args = map_tensors(tuple(call.args), lambda t: t.clone())
        kwargs = map_tensors(dict(call.kwargs), lambda t: t.clone())
        return task.reference(*args, **kwargs)

    with timings.timed(timings.REFERENCES):
        return replay.reference(call, task.reference, compute)


def refuse_forbidden(outcome: CallOutcome, task: Task, call: Call) -> None:
    """Abort the task when the call made a forbidden call."""
    if outcome.forbidden:
        raise Abort(Failure("forbidden", _("{task} called {call}, which this function may not use")
                            .format(task=task.name, call=outcome.forbidden[0]), call=call,
                            hint=_("implement it with indexing, slicing, sum, matmul or einsum instead")))


def refuse(outcome: CallOutcome, task: Task, call: Call) -> None:
    """Abort on a forbidden call; fail on an exception raised by the student's code."""
    refuse_forbidden(outcome, task, call)
    if outcome.raised:
        kind, message = outcome.raised
        raise CheckFailed(Failure("error", _("{task} raised {error}: {message}")
                                  .format(task=task.name, error=kind, message=message), call=call))


def changed_inputs(before: tuple, after: tuple) -> list[str]:
    """Names of the positional/keyword tensor arguments whose values changed."""
    changed = []
    (args0, kwargs0), (args1, kwargs1) = before, after
    pairs = [(_("argument {n}").format(n=i + 1), a, b) for i, (a, b) in enumerate(zip(args0, args1))]
    pairs += [(k, kwargs0[k], kwargs1.get(k)) for k in kwargs0]
    for name, a, b in pairs:
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
            if a.shape != b.shape or not torch.equal(a.cpu(), b.detach().cpu()):
                changed.append(name)
    return changed


EXACT = Tolerance(float32=(0.0, 0.0), float64=(0.0, 0.0))


def as_received(call: Call, variant: Variant) -> Call:
    """The call as feedback shows it: tensors in the dtype the student received."""
    def convert(t: torch.Tensor) -> torch.Tensor:
        return t.to(variant.dtype) if t.is_floating_point() else t

    return Call(map_tensors(tuple(call.args), convert), map_tensors(dict(call.kwargs), convert), call.label)


def naming_input(outcome: Callable[[], CallOutcome], shown: Call) -> CallOutcome:
    """``outcome()``; a call that ends the task (a time limit, a crash, memory) names the input
    it was given (``shown``) in its failure."""
    try:
        return outcome()
    except Abort as exc:
        if exc.failure.call is None and exc.failure.status in ("timeout", "crashed", "error"):
            raise Abort(dataclasses.replace(exc.failure, call=shown)) from None
        raise


def judge_call(task: Task, ctx: Context, call: Call, variant: Variant) -> CallOutcome:
    """Call the student's ``task.name`` on ``call`` as ``variant`` says; raise
    :class:`CheckFailed` (or :class:`Abort`) on the first difference from the reference."""
    return send_call(task, ctx, call, variant, ahead=False)()


def send_call(task: Task, ctx: Context, call: Call, variant: Variant, ahead: bool = True) -> Callable[[], CallOutcome]:
    """:func:`judge_call` in two steps: the call is sent now (:meth:`grader.engine.context.Context.send`;
    with ``ahead``, its repeat too, before the first outcome is judged), and the returned function
    judges the outcome. Call the returned functions in the order of the sends."""
    shown = as_received(call, variant)
    args, kwargs = prepare(call, variant, ctx.settings.device)
    before = ((map_tensors(args, lambda t: t.detach().clone()), map_tensors(kwargs, lambda t: t.detach().clone()))
              if variant.judge_inputs else None)  # copies only where the check compares them
    first = ctx.send(task, args, kwargs, inputs=variant.judge_inputs)

    def repeat() -> Callable[[], CallOutcome]:
        return ctx.send(task, *prepare(call, variant, ctx.settings.device), inputs=False)

    second = repeat() if variant.repeat and ahead else None

    def judge() -> CallOutcome:
        outcome = naming_input(first, shown)
        refuse(outcome, task, shown)
        if variant.judge_values:
            expected = reference_result(task, call)
            dtype = variant.dtype if task.output_dtype_follows_input else torch.float32
            mismatch = compare(expected, outcome.value, dtype=dtype, device=ctx.settings.device,
                               tolerance=task.tolerance)
            if mismatch:
                headline = _("{task}: {problem}").format(task=task.name, problem=mismatch.headline)
                raise CheckFailed(Failure("failed", headline, call=shown, expected=expected, got=outcome.value,
                                          details=list(mismatch.details), kind=mismatch.kind))
        if variant.repeat:
            again = naming_input(second or repeat(), shown)
            refuse(again, task, shown)
            if compare(outcome.value, again.value, dtype=None, device=None, tolerance=EXACT) is not None:
                raise CheckFailed(Failure("failed", _("{task} returned different results for the same input")
                                          .format(task=task.name), call=shown, expected=outcome.value,
                                          got=again.value, hint=_("a graded function must be deterministic: no "
                                                                  "randomness, no state kept between calls")))
        if variant.judge_inputs:
            changed = changed_inputs(before, outcome.inputs_after)
            if changed:
                raise CheckFailed(Failure("failed", _("{task} modified its input in place ({inputs})")
                                          .format(task=task.name, inputs=", ".join(changed)),
                                          call=shown, hint=_("work on a copy (x.clone()) or build a new tensor")))
        return outcome

    return judge

