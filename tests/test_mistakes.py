"""The catalogue of classic mistakes: every catalogued mistake, injected into a correct
submission, is failed and recognised by name. (That a correct submission never gets one named
is tests/test_registry.py's: every model answer passes every check, with no failure at all.)"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from grader.engine import registry
from grader.engine.exercise import Exercise, Mistake, Task
from grader.engine.judge import map_tensors
from grader.engine.mistakes import recognise
from grader.engine.outcome import CallOutcome, Failure
from grader.engine.runner import Runner
from grader.run.target import InProcessTarget
from tests.conftest import SOLUTIONS, TEST_SETTINGS


class InjectedTarget:
    """The model answers, except that one task is replaced by a stand-in that makes a mistake."""

    def __init__(self, module: str, task: Task, mistake: Mistake):
        self.base = InProcessTarget(SOLUTIONS)
        self.module, self.name, self.mistake = module, task.name, mistake

    def presence(self, module: str, name: str) -> Failure | None:
        return self.base.presence(module, name)

    def call(self, module: str, name: str, args: tuple, kwargs: dict[str, Any], *,
             forbidden: str | None, procedure: str | None = None) -> CallOutcome:
        if (module, name) != (self.module, self.name):
            return self.base.call(module, name, args, kwargs, forbidden=forbidden, procedure=procedure)
        if procedure is not None:
            return self._call_procedure(args, kwargs, procedure)
        like = next((t for t in args if isinstance(t, torch.Tensor) and t.is_floating_point()), None)
        args64 = map_tensors(args, lambda t: t.detach().cpu().double() if t.is_floating_point() else t)
        kwargs64 = map_tensors(kwargs, lambda t: t.detach().cpu().double() if t.is_floating_point() else t)
        try:
            value = self.mistake.apply(*args64, **kwargs64)
        except Exception as exc:
            return CallOutcome(raised=(type(exc).__name__, str(exc)), raised_type=type(exc), inputs_after=(args, kwargs))
        if like is not None:
            value = map_tensors(value, lambda t: t.to(like.device, like.dtype) if t.is_floating_point() else t)
        return CallOutcome(value=value, inputs_after=(args, kwargs))

    def _call_procedure(self, args: tuple, kwargs: dict[str, Any], procedure: str) -> CallOutcome:
        """A grader procedure run on the stand-in (a class, or a function such as a formula that
        grader.engine.formulas:call_each calls on a whole grid)."""
        from grader.run.target import resolve_procedure

        value = resolve_procedure(procedure)(self.mistake.apply, *args, **kwargs)
        return CallOutcome(value=value, inputs_after=(args, kwargs))


def catalogue() -> list[tuple[Exercise, Task, Mistake]]:
    return [(e, t, m) for e in registry.all_exercises() for t in e.tasks for m in t.mistakes]


@pytest.mark.parametrize("exercise,task,mistake", catalogue(),
                         ids=[f"{t.name}:{m.name}" for _, t, m in catalogue()])
def test_injected_mistake_is_failed_and_named(exercise: Exercise, task: Task, mistake: Mistake) -> None:
    runner = Runner(InjectedTarget(exercise.module, task, mistake), TEST_SETTINGS)
    results = [runner.run_check(exercise, task, check) for check in task.checks]
    failed = [r for r in results if not r.passed]
    assert failed, f"{mistake.name!r} passed every check of {task.name}"
    named = {r.failure.mistake for r in failed}
    assert mistake.name in named, f"{mistake.name!r} was failed but named {named}: " + failed[0].message
    first = next(r for r in failed if r.failure.mistake == mistake.name)
    assert f"recognised mistake: {mistake.name}" in first.message
    assert mistake.hint in first.message


def test_dtype_and_device_mistakes_need_no_catalogue() -> None:
    task = registry.get("ex01_cross_correlation").task("cust_conv2d")
    assert recognise(task, Failure("failed", "x", kind="dtype")).name == "dtype not preserved"
    assert recognise(task, Failure("failed", "x", kind="device")).name == "device not preserved"
    assert recognise(task, Failure("failed", "x", kind="values")) is None
