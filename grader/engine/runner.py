"""Running an exercise's checks against a target and collecting verdicts.

A check stops at its first failure; a structural failure (missing, not implemented, forbidden,
crashed, timed out) also stops the task's remaining checks, which take the same status without
calling the student's code again.
"""

from __future__ import annotations

import time
from typing import Iterator

from hypothesis.errors import Flaky, FlakyFailure

from grader.engine.context import Context
from grader.engine.exercise import Check, Exercise, Task
from grader.engine.mistakes import name_mistake
from grader.engine.outcome import Abort, CheckFailed, CheckResult, Failure
from grader.engine.settings import Settings
from grader.i18n import _
from grader.outputs import feedback
from grader.run.target import Target


class Runner:
    """Grades checks of one submission (through one target), remembering aborted tasks."""

    def __init__(self, target: Target, settings: Settings):
        self.target = target
        self.settings = settings
        self._aborted: dict[tuple[str, str], Failure] = {}

    def run_check(self, exercise: Exercise, task: Task, check: Check) -> CheckResult:
        key = (exercise.module, task.name)
        start = time.perf_counter()
        failure = self._aborted.get(key) or self.target.presence(exercise.module, task.name)
        if failure is None:
            try:
                check.run(task, Context(self.target, self.settings, exercise, check.name))
            except Abort as exc:
                failure = exc.failure
                self._aborted[key] = failure
            except CheckFailed as exc:
                failure = name_mistake(task, exc.failure)
            except (Flaky, FlakyFailure):
                failure = Failure("failed", _("{task} gives different results on the same input from one call to "
                                              "the next (nondeterministic)").format(task=task.name),
                                  hint=_("no randomness, no state kept between calls"))
        else:
            self._aborted[key] = failure
        seconds = time.perf_counter() - start
        if failure is None:
            return CheckResult(exercise.module, task.name, check.name, "passed", check.points, check.points,
                               seconds=seconds)
        return CheckResult(exercise.module, task.name, check.name, failure.status, 0.0, check.points,
                           message=feedback.render(failure, task, check), failure=failure, seconds=seconds)

    def run_exercise(self, exercise: Exercise) -> Iterator[CheckResult]:
        for task in exercise.tasks:
            for check in task.checks:
                yield self.run_check(exercise, task, check)
