"""What a check is run with: where the student's code lives (a target), the run's settings and
the exercise being graded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.engine.exercise import Exercise, Task
from grader.engine.outcome import CallOutcome
from grader.engine.settings import Settings
from grader.run.target import Target


@dataclass
class Context:
    """Passed to every :class:`grader.engine.exercise.Check`."""

    target: Target
    settings: Settings
    exercise: Exercise

    def call(self, task: Task, args: tuple, kwargs: dict[str, Any] | None = None) -> CallOutcome:
        """Run the student's ``task.name`` on these (already prepared) arguments."""
        return self.target.call(self.exercise.module, task.name, args, kwargs or {}, forbidden=task.forbidden)

    def run_procedure(self, procedure: str, task: Task, args: tuple, kwargs: dict[str, Any] | None = None) -> CallOutcome:
        """Run a grader procedure (``"grader.catalog.ex11_fcn:fit_and_predict"``) that receives
        the student's ``task.name`` object as its first argument, inside the target."""
        return self.target.call(self.exercise.module, task.name, args, kwargs or {},
                                forbidden=task.forbidden, procedure=procedure)
