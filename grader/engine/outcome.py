"""Values that flow between a target, the checks and the front-ends: what a call did, why a
check failed, and the verdict of a check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.engine.call import Call


@dataclass
class CallOutcome:
    """What one call of the student's code did, as the judge sees it.

    Exactly one of ``value`` (when ``raised`` is None) or ``raised`` describes the result.
    ``inputs_after`` are the call's arguments as they were after the call (to detect in-place
    changes); ``op_count`` is how many torch operations the call dispatched.
    """

    value: Any = None
    raised: tuple[str, str] | None = None  # (exception type's qualified name, message)
    raised_type: type | None = None  # the exception class, when it is a builtin or torch one
    forbidden: tuple[str, ...] = ()  # the forbidden calls it made, first first
    inputs_after: tuple = ()
    op_count: int = 0
    seconds: float = 0.0


@dataclass
class Failure:
    """Why a check failed, in data; :mod:`grader.outputs.feedback` turns it into words.

    ``status`` is one of :data:`grader.engine.exercise.STATUSES` (never "passed"). ``call`` is the
    (shrunk) input that shows the failure, ``expected``/``got`` the two results when they exist.
    """

    status: str
    headline: str
    call: Call | None = None
    expected: Any = None
    got: Any = None
    details: list[str] = field(default_factory=list)
    mistake: str | None = None  # name of a recognised classic mistake
    hint: str | None = None
    kind: str | None = None  # how the result differed (grader.engine.compare.Mismatch.kind), if it did


class CheckFailed(Exception):
    """Raised inside a check (and inside hypothesis, which shrinks it) when one call fails."""

    def __init__(self, failure: Failure):
        super().__init__(failure.headline)
        self.failure = failure


class Abort(BaseException):
    """A failure that makes further calls pointless (not implemented, forbidden call, timeout,
    crash, missing function). A BaseException so that hypothesis stops at once instead of
    shrinking, and so that ``except Exception`` in student code cannot swallow it."""

    def __init__(self, failure: Failure):
        super().__init__(failure.headline)
        self.failure = failure


@dataclass
class CheckResult:
    """The verdict of one check on one submission."""

    exercise: str
    task: str
    check: str
    status: str
    points: float
    max_points: float
    message: str = ""  # rendered feedback, empty when passed
    failure: Failure | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"
