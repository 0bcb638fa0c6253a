"""What a check is run with: where the student's code lives (a target), the run's settings and
the exercise being graded."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

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
    check: str = ""  # the name of the check being run (it keys the inputs kept by grader.engine.replay)
    properties: int = 0  # how many properties the check has run so far (grader.engine.checks.run_property)

    def call(self, task: Task, args: tuple, kwargs: dict[str, Any] | None = None) -> CallOutcome:
        """Run the student's ``task.name`` on these (already prepared) arguments."""
        return self.target.call(self.exercise.module, task.name, args, kwargs or {}, forbidden=task.forbidden)

    def send(self, task: Task, args: tuple, kwargs: dict[str, Any] | None = None, *,
             inputs: bool = True) -> Callable[[], CallOutcome]:
        """:meth:`call` in two steps: a target that can run ahead of the judge (a worker,
        :meth:`grader.run.sandbox.WorkerTarget.submit`) starts the call now, and the returned function
        waits for its outcome; any other target makes the call when its outcome is asked for.
        Ask for outcomes in the order of the sends. ``inputs``: whether the outcome's
        ``inputs_after`` must show what the call did to its arguments (a worker then sends them
        back)."""
        submit = getattr(self.target, "submit", None)
        if submit is None:
            return functools.partial(self.call, task, args, kwargs)
        return submit(self.exercise.module, task.name, args, kwargs or {}, forbidden=task.forbidden, inputs=inputs)

    def run_procedure(self, procedure: str, task: Task, args: tuple, kwargs: dict[str, Any] | None = None) -> CallOutcome:
        """Run a grader procedure (``"grader.catalog.ex11_fcn:fit_and_predict"``) that receives
        the student's ``task.name`` object as its first argument, inside the target."""
        return self.target.call(self.exercise.module, task.name, args, kwargs or {},
                                forbidden=task.forbidden, procedure=procedure)
