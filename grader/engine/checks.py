"""The kinds of check an exercise declares. Each factory returns a :class:`Check` whose ``run``
raises on failure; all of them judge calls through :func:`grader.engine.judge.judge_call`, so no
comparison is written twice.

A task usually takes :func:`standard` (values in float32, float64 kept, non-contiguous inputs,
inputs left alone) plus what is particular to it (:func:`raises_like_torch`, :func:`loop_free`,
custom checks declared in its catalog file).
"""

from __future__ import annotations

import collections
import time
from typing import Callable

import torch
from hypothesis import given, seed, settings

from grader.engine import replay, timings
from grader.engine.context import Context
from grader.engine.exercise import Call, Check, Task
from grader.engine.judge import Variant, judge_call, prepare, reference_result, refuse_forbidden, send_call
from grader.engine.outcome import CheckFailed, Failure
from grader.i18n import N_, _, ngettext


def run_property(task: Task, ctx: Context, judge: Callable[[Call], object], share: float = 1.0,
                 send: Callable[[Call], Callable[[], object]] | None = None) -> None:
    """Apply ``judge`` to the task's pinned examples, then to the calls hypothesis draws (which
    shrinks any failure to the smallest input that shows it). ``share`` scales the profile's
    number of drawn examples (secondary checks draw fewer than the main one).

    With a seed, the draws of a property that passed are kept for the run (:mod:`grader.engine.replay`)
    and later students are judged on them without hypothesis; a student who fails one is judged
    by hypothesis from the start, as if nothing were kept, and so shrinks from their own
    counterexample (if hypothesis then finds nothing, the failure seen on the kept call stands).
    ``send``, when given, is ``judge`` in two steps (:func:`grader.engine.judge.send_call`): kept calls
    are then sent :data:`AHEAD` at a time, each judged in order as its outcome arrives."""
    for example in task.examples:
        judge(example)
    if task.calls is None:
        return
    profile = ctx.settings.hypothesis
    drawn = settings(profile, max_examples=max(5, round(profile.max_examples * share)))
    k = replay.key(ctx.exercise.module, task.name, ctx.check, ctx.properties, ctx.settings.seed, drawn.max_examples)
    ctx.properties += 1
    kept = replay.draws(k) if ctx.settings.replay else None
    failed_on_kept = None
    if kept is not None:
        try:
            judge_all(kept, judge, send)
            return
        except Exception as exc:  # hypothesis would shrink it: let it, from the start
            failed_on_kept = exc
    calls: list[Call] = []
    judging = 0.0

    @drawn
    @given(task.calls())
    def prop(call: Call) -> None:
        nonlocal judging
        calls.append(call)
        start = time.perf_counter()
        try:
            judge(call)
        finally:
            judging += time.perf_counter() - start

    if ctx.settings.seed is not None:
        prop = seed(ctx.settings.seed)(prop)
    start = time.perf_counter()
    try:
        prop()
    finally:
        timings.add(timings.GENERATION, time.perf_counter() - start - judging)
    if failed_on_kept is not None:
        raise failed_on_kept
    if ctx.settings.replay:
        replay.keep(k, calls)


AHEAD = 4
"""Kept calls sent to the worker before the first of them is judged."""


def judge_all(calls: tuple[Call, ...], judge: Callable[[Call], object],
              send: Callable[[Call], Callable[[], object]] | None) -> None:
    """``judge`` each call in order; with ``send``, up to :data:`AHEAD` calls are on their way
    while the earliest is judged (after a failure, those still on their way are dropped)."""
    if send is None:
        for call in calls:
            judge(call)
        return
    pending: collections.deque[Callable[[], object]] = collections.deque()
    for call in calls:
        pending.append(send(call))
        if len(pending) > AHEAD:
            pending.popleft()()
    while pending:
        pending.popleft()()


SECONDARY = 0.5
"""Share of the drawn examples for checks of one property of the result (dtype, layout, inputs
untouched), beside the main check against torch, which draws the profile's full number."""


def property_check(name: str, description: str, points: float, variant: Variant, share: float = 1.0) -> Check:
    """A check that every drawn call, prepared as ``variant`` says, gives the reference's result."""

    def run(task: Task, ctx: Context) -> None:
        run_property(task, ctx, lambda call: judge_call(task, ctx, call, variant), share,
                     send=lambda call: send_call(task, ctx, call, variant))

    return Check(name, description, points, run)


def matches_torch(points: float = 2) -> Check:
    """The main check: float32 inputs; type, exact shape, dtype, device, values; the same input
    twice gives the same result."""
    return property_check("matches_torch", N_("exact shape, then values, against torch (float32 inputs)"), points,
                          Variant(torch.float32, repeat=True))


def keeps_float64(points: float = 1) -> Check:
    """float64 inputs: a float64 result, accurate to float64's tolerance."""
    return property_check("keeps_float64", N_("float64 inputs give a float64 result, accurate to float64"),
                          points, Variant(torch.float64), SECONDARY)


def noncontiguous_inputs(points: float = 1) -> Check:
    """Inputs given as non-contiguous views (transposed, strided) must give the same result."""
    return property_check("noncontiguous_inputs", N_("works on non-contiguous input views (transposed, strided)"),
                          points, Variant(torch.float32, layout="noncontiguous"), SECONDARY)


def inputs_unmodified(points: float = 1) -> Check:
    """The input tensors are unchanged after the call (and the result is still right)."""
    return property_check("inputs_unmodified", N_("leaves its input tensors unchanged (and is still right)"),
                          points, Variant(torch.float32, judge_inputs=True), SECONDARY)


def standard(points: float = 2, extra_points: float = 1) -> tuple[Check, ...]:
    """The checks every tensor-in, tensor-out function gets."""
    return (matches_torch(points), keeps_float64(extra_points), noncontiguous_inputs(extra_points),
            inputs_unmodified(extra_points))


def raises_like_torch(points: float = 1) -> Check:
    """Each of the task's error cases must raise the exception torch raises on it."""

    def run(task: Task, ctx: Context) -> None:
        for case in task.error_cases:
            try:
                reference_result(task, case.call)
            except Exception as exc:
                expected = type(exc)
            else:
                raise AssertionError(f"error case {case.why!r} of {task.name}: the reference raised nothing")
            args, kwargs = prepare(case.call, Variant(torch.float32), ctx.settings.device)
            outcome = ctx.call(task, args, kwargs)
            refuse_forbidden(outcome, task, case.call)
            if outcome.raised is None:
                raise CheckFailed(Failure("failed", _("{task} accepted an invalid input ({why}); torch raises {error}")
                                          .format(task=task.name, why=_(case.why), error=expected.__name__),
                                          call=case.call, got=outcome.value))
            if outcome.raised_type is None or not issubclass(outcome.raised_type, expected):
                raise CheckFailed(Failure("failed", _("{task} raised {raised} for {why}; torch raises {error}")
                                          .format(task=task.name, raised=outcome.raised[0], why=_(case.why),
                                                  error=expected.__name__), call=case.call))

    return Check("raises_like_torch", N_("invalid arguments raise the error torch raises"), points, run)


def loop_free(small: Call, large: Call, points: float = 1) -> Check:
    """The call dispatches as many torch operations on ``large`` as on ``small``: no Python loop
    over pixels or channels."""

    def run(task: Task, ctx: Context) -> None:
        counts = [judge_call(task, ctx, call, Variant(torch.float32)).op_count for call in (small, large)]
        if counts[1] > counts[0]:
            headline = ngettext("{task} ran {small} torch operation on the small input and {large} on the larger "
                                "one: it loops in Python",
                                "{task} ran {small} torch operations on the small input and {large} on the larger "
                                "one: it loops in Python", counts[0])
            raise CheckFailed(Failure("failed", headline.format(task=task.name, small=counts[0], large=counts[1]),
                                      call=large, hint=_("express it as one matrix product (matmul or einsum) "
                                                         "after reshaping; no loop over pixels or channels")))

    return Check("loop_free", N_("one vectorised computation, no Python loop over pixels or channels"), points, run)
