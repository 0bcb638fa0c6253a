"""The record types of the registry: an exercise file, its tasks, their checks.

In the spirit of PyTorch's OpInfo, every exercise is a frozen, validated record that points at
module-level functions (strategies of inputs, references, checks) rather than holding logic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol

import torch

from grader.engine.call import Call
from grader.i18n import N_, _

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from grader.engine.outcome import CallOutcome
    from grader.engine.settings import Settings

__all__ = ["Call", "Check", "CheckContext", "ErrorCase", "Exercise", "Mistake", "Task", "Tolerance"]

STATUSES = ("passed", "failed", "error", "timeout", "forbidden", "crashed", "not_submitted")
"""Every status a check can end in (the batch grader's JSON uses the same words)."""

EXERCISE_STATUSES = (*STATUSES, "partial")
"""Every status an exercise can have: a check's, or ``partial`` (some tasks passed, the others
not submitted; the rule is :func:`grader.batch.exercise_status`)."""

STATUS_WORDS = {
    "passed": N_("passed"),
    "failed": N_("failed"),
    "error": N_("error"),
    "timeout": N_("timeout"),
    "forbidden": N_("forbidden"),
    "crashed": N_("crashed"),
    "not_submitted": N_("not submitted"),
    "partial": N_("partly submitted"),
}
"""How each status is shown to a reader (English msgids, shown with :func:`status_word`); the
keys of :data:`EXERCISE_STATUSES` stay the data."""

if set(STATUS_WORDS) != set(EXERCISE_STATUSES):
    raise ValueError(f"STATUS_WORDS must name exactly the statuses {EXERCISE_STATUSES}")


def status_word(status: str) -> str:
    """``status`` as a reader sees it, in the current language (``not_submitted`` -> "not
    submitted"); a word that is no status is shown with spaces for underscores."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status.replace("_", " ")


@dataclass(frozen=True)
class Tolerance:
    """Closeness demanded of floating results, per dtype: |got - expected| <= atol*scale + rtol*|expected|.

    ``scale`` is the largest magnitude in the expected result (at least 1), so that sums of many
    terms are not judged more strictly than their size allows.
    """

    float32: tuple[float, float] = (1e-4, 1e-4)  # (rtol, atol)
    float64: tuple[float, float] = (1e-9, 1e-9)

    def for_dtype(self, dtype: torch.dtype) -> tuple[float, float]:
        return self.float64 if dtype == torch.float64 else self.float32


@dataclass(frozen=True)
class ErrorCase:
    """An invalid input and why it is invalid; the student must raise what torch raises on it.

    The expected exception type is not written here: it is found by running the reference, so
    it is torch's by construction.
    """

    call: Call
    why: str  # e.g. N_('padding="same" with stride 2'), an English msgid shown as _(why)


@dataclass(frozen=True)
class Mistake:
    """A classic mistake, defined by what it does to the correct computation.

    For a function task, ``apply`` has the reference's signature and returns what code making
    this mistake returns (float64, CPU): when a failing result equals it on the counterexample,
    feedback names the mistake and gives the hint. For a class task, ``apply`` is a stand-in
    class that makes the mistake, and the task's own checks name it (``Failure.mistake``).
    The catalogue test injects every mistake into a correct submission and demands that it is
    failed and recognised by name.
    """

    name: str  # N_("kernel flipped (...)"): an English msgid, also the mistake's identifier
    hint: str  # N_(...): one line, what to change
    apply: Callable[..., Any]


class CheckContext(Protocol):
    """What a check's ``run`` is given: the run's settings, and calls of the student's code
    wherever it runs (:class:`grader.engine.context.Context` is the one the runner passes). A
    protocol, so that the records know nothing of targets and runners."""

    settings: Settings

    def call(self, task: Task, args: tuple, kwargs: dict[str, Any] | None = None) -> CallOutcome:
        """Run the student's ``task.name`` on these (already prepared) arguments."""

    def run_procedure(self, procedure: str, task: Task, args: tuple,
                      kwargs: dict[str, Any] | None = None) -> CallOutcome:
        """Run a grader procedure (``"module:function"``) on the student's ``task.name`` object."""


@dataclass(frozen=True)
class Check:
    """One graded check of a task: one pytest test, one line of the results, some points.

    ``run`` raises :class:`grader.engine.outcome.CheckFailed` (or an :class:`grader.engine.outcome.Abort`) on
    failure and returns normally on success.
    """

    name: str  # identifier, unique within the task: "matches_torch"
    description: str  # N_(...): what it verifies, in words a student reads
    points: float
    run: Callable[[Task, CheckContext], None]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"check name {self.name!r} must be a lower-case identifier")
        if self.points < 0:
            raise ValueError(f"check {self.name}: negative points")


@dataclass(frozen=True)
class Task:
    """One name of the contract (a function or a class) and everything needed to grade it."""

    name: str  # the contract's name: "cust_conv2d"
    summary: str  # N_(...): one line, what the student implements
    checks: tuple[Check, ...]  # in order; a structural failure stops the rest
    calls: Callable[[], SearchStrategy[Call]] | None = None  # valid inputs, drawn by hypothesis
    reference: Callable[..., Any] | None = None  # same signature as the student's, float64 CPU
    forbidden: str | None = "by_hand"  # a grader.run.guard policy refused while it runs (None: none)
    examples: tuple[Call, ...] = ()  # pinned calls tried before any drawn one
    error_cases: tuple[ErrorCase, ...] = ()
    mistakes: tuple[Mistake, ...] = ()  # classic mistakes recognised in failing results
    tolerance: Tolerance = Tolerance()
    hint: str = ""  # N_(...): shown under any failure of this task
    output_dtype_follows_input: bool = True  # float results take the input's floating dtype
    window: Callable[[Call, tuple[int, ...]], Any] | None = None  # result index -> its grader.engine.window.Window (None: not conv-like)

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"task name {self.name!r} is not a Python identifier")
        names = [c.name for c in self.checks]
        if len(set(names)) != len(names):
            raise ValueError(f"task {self.name}: duplicate check names {names}")
        mistakes = [m.name for m in self.mistakes]
        if len(set(mistakes)) != len(mistakes):
            raise ValueError(f"task {self.name}: duplicate mistake names {mistakes}")
        if not self.checks:
            raise ValueError(f"task {self.name}: no checks")
        from grader.run.guard import POLICIES

        if self.forbidden is not None and self.forbidden not in POLICIES:
            raise ValueError(f"task {self.name}: unknown guard policy {self.forbidden!r}")

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks)


@dataclass(frozen=True)
class Exercise:
    """One file of the contract (``ex03_padding_stride.py``) and its tasks."""

    module: str  # "ex03_padding_stride": the file's name without .py
    title: str  # N_("Padding and stride")
    tasks: tuple[Task, ...]
    notes: str = ""  # N_(...): a short explanation for students (Markdown, LaTeX allowed)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"ex\d\d_[a-z0-9_]+", self.module):
            raise ValueError(f"exercise module {self.module!r} must look like ex03_padding_stride")
        names = [t.name for t in self.tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.module}: duplicate task names {names}")

    @property
    def marker(self) -> str:
        """The pytest marker selecting this exercise: ``ex03``."""
        return self.module[:4]

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tasks)

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(f"{self.module} has no task {name!r}")
