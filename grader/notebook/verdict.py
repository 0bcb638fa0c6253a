"""Grading the code of a notebook's cells with the registry's checks.

The cells become the exercise's module (``ex01_cross_correlation.py``), which a confined worker
(:class:`grader.run.sandbox.WorkerTarget`) loads and calls; the comparison with the reference runs
in this process, where no student code ever ran. Used by the kernel's judge process
(:mod:`grader.notebook.judge`) and by the autograde step (:mod:`grader.notebook.autograde`).
"""

from __future__ import annotations

import multiprocessing.forkserver
from typing import Any

from grader.engine import registry
from grader.engine.exercise import Check, Task, status_word
from grader.engine.outcome import CheckResult
from grader.engine.runner import Runner
from grader.engine.settings import Settings
from grader.i18n import _
from grader.outputs.feedback import earlier_same_failure, repeat_line
from grader.run.limits import Limits
from grader.run.sandbox import WorkerTarget, context


def warm() -> None:
    """Load the whole catalog and start the workers' forkserver (which preloads torch and the
    grader) now: before any student code runs, and before the first check waits for it."""
    registry.all_exercises()
    context()
    multiprocessing.forkserver.ensure_running()


def find_check(task: Task, name: str) -> Check:
    for check in task.checks:
        if check.name == name:
            return check
    raise KeyError(_("{task} has no check {name}; its checks: {checks}").format(
        task=task.name, name=repr(name), checks=", ".join(c.name for c in task.checks)))


class NotebookGrader:
    """Grades checks of one exercise on notebook code. While the code stays the same, its worker
    (and each profile's runner, which remembers aborted tasks) is kept; new code gets a new worker."""

    def __init__(self, module: str, limits: Limits = Limits()):
        self.exercise = registry.get(module)
        self.limits = limits
        self._code: str | None = None
        self._target: WorkerTarget | None = None
        self._runners: dict[Settings, Runner] = {}
        self._results: dict[Settings, list[CheckResult]] = {}  # graded on the current code, in order

    def grade(self, code: str, task: str, check: str, settings: Settings) -> tuple[Check, CheckResult]:
        """The check (found by name) and its result on ``code``."""
        task_record = self.exercise.task(task)
        check_record = find_check(task_record, check)
        if code != self._code or self._target is None:
            self.close()
            self._code = code
            self._target = WorkerTarget({f"{self.exercise.module}.py": code}, self.limits)
        runner = self._runners.setdefault(settings, Runner(self._target, settings))
        result = runner.run_check(self.exercise, task_record, check_record)
        self._results.setdefault(settings, []).append(result)
        return check_record, result

    def same_as(self, result: CheckResult, settings: Settings) -> str | None:
        """The check graded earlier on this code whose feedback ``result`` repeats (one bug), if any."""
        earlier = [r for r in self._results.get(settings, []) if r is not result and r.check != result.check]
        return earlier_same_failure(earlier, result)

    def close(self) -> None:
        if self._target is not None:
            self._target.close()
        self._target, self._runners, self._results = None, {}, {}

    def __enter__(self) -> NotebookGrader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def verdict_lines(check: Check, result: CheckResult, settings: Settings,
                  same_as: str | None = None) -> list[str]:
    """What a test cell shows: one line when the check passed; else the grader's feedback (the
    smallest failing input, expected, got, hint) and the check's status. A failure that repeats
    the one ``same_as`` shows in full (one bug) is one line pointing there."""
    name = f"{result.task}[{result.check}]"
    run = _("{profile} profile, seed {seed}").format(profile=settings.profile, seed=settings.seed)
    if result.passed:
        return [_("{check} passed ({run}): {description}; {points}/{max_points} points").format(
            check=name, run=run, description=_(check.description), points=f"{result.points:g}",
            max_points=f"{result.max_points:g}")]
    message = repeat_line(result.failure.headline, same_as) if same_as else result.message
    return message.splitlines() + [_("[{check} {status} ({run}): {description}; 0/{max_points} points]").format(
        check=name, status=status_word(result.status), run=run, description=_(check.description),
        max_points=f"{result.max_points:g}")]
