"""Grading a whole class: judges in parallel, each submission's code in confined workers.

The main process finds and snapshots the submissions, hands the exercises that need grading to
an :class:`Executor`, shows progress, and gathers one record per submission in the results
JSON's shape. Whatever the executor, an exercise is graded by :func:`grade_exercise` in a fresh
:class:`grader.run.sandbox.WorkerTarget`. The default, :class:`LocalExecutor`, runs ``jobs`` judge
processes on this machine (forked warm from the run's forkserver, which imported torch and the
grader once and forks their workers too, :mod:`grader.run.forkserver`); each judge keeps the
inputs it draws for the run (:mod:`grader.engine.replay`) and reports where its time went
(:mod:`grader.engine.timings`). :class:`grader.ray_executor.RayExecutor` runs them on a Ray cluster.
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import platform
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

import torch

import grader
from grader.course import Course
from grader.engine import registry, timings
from grader.engine.outcome import CheckResult
from grader.engine.runner import Runner
from grader.engine.settings import Settings, full_float32_precision, use_one_thread
from grader.i18n import DEFAULT as DEFAULT_LANGUAGE
from grader.i18n import _, set_language
from grader.outputs import feedback
from grader.outputs.feedback import same_failures
from grader.run import confine, forkserver
from grader.run.forkserver import context
from grader.run.limits import Limits
from grader.run.sandbox import WorkerTarget
from grader.run.submissions import SubmissionSource

STATUS_PRIORITY = ("forbidden", "timeout", "crashed", "error", "failed", "not_submitted")
"""Which status names an exercise when its checks disagree: the first one present."""


@dataclass(frozen=True)
class Plan:
    """What a batch run grades with; sent to every judge."""

    settings: Settings
    limits: Limits
    language: str = DEFAULT_LANGUAGE  # of the messages in the results (grader.i18n)
    course: Course | None = None  # the course file in force (grader.course); None: the built-ins


def check_record(result: CheckResult) -> dict[str, Any]:
    """A check in the results JSON; a failed one on a 2-D result also carries the expected and
    received matrices of its counterexample (for pictures of the difference)."""
    record = {"name": f"{result.task}[{result.check}]", "status": result.status, "points": result.points,
              "max_points": result.max_points, "message": result.message}
    if result.failure is not None and result.failure.mistake:
        record["mistake"] = result.failure.mistake
    matrices = counterexample_matrices(result)
    if matrices:
        record["counterexample"] = matrices
    return record


def counterexample_matrices(result: CheckResult, max_entries: int = 4096) -> dict[str, list] | None:
    """``{"expected": [[...]], "got": [[...]]}`` when the failure compared two 2-D tensors
    (non-finite entries become None, so the JSON stays standard)."""
    failure = result.failure
    if failure is None:
        return None
    expected, got = failure.expected, failure.got
    if (isinstance(expected, torch.Tensor) and type(got) is torch.Tensor and expected.dim() == 2
            and got.dim() == 2 and 0 < got.numel() <= max_entries and not got.is_complex()):
        def rows(t: torch.Tensor) -> list:
            return [[v if math.isfinite(v) else None for v in row] for row in t.detach().double().cpu().tolist()]

        matrices = {"expected": rows(expected), "got": rows(got)}
        matrices.update(window_picture(result) or {})
        return matrices
    return None


def window_picture(result: CheckResult, max_entries: int = 400) -> dict[str, Any] | None:
    """For a wrong entry of a convolution-like result: ``{"input": [[...]], "window": {...}}``, the
    (H, W) plane of the input the window reads, and the window's rows and columns in it (``start``,
    ``stop``, ``step``; padding may put them outside) with its line of feedback (``text``)."""
    failure = result.failure
    task = registry.get(result.exercise).task(result.task)
    window = feedback.result_window(failure, task)
    if window is None or not failure.call.args or not isinstance(failure.call.args[0], torch.Tensor):
        return None
    plane = failure.call.args[0].detach()[window.plane()]
    if plane.dim() != 2 or not 0 < plane.numel() <= max_entries:
        return None
    text = feedback.window_lines(window, failure.expected, failure.got)[0]
    return {"input": [[v if math.isfinite(v) else None for v in row] for row in plane.double().cpu().tolist()],
            "window": {"rows": [window.rows.start, window.rows.stop, window.rows.step],
                       "cols": [window.cols.start, window.cols.stop, window.cols.step], "text": text}}


def exercise_status(checks: list[dict[str, Any]]) -> str:
    """An exercise's status from its checks' (the one rule every output shows):

    * ``not_submitted`` when no task of the exercise was found;
    * else, from the checks of the tasks that were found: ``passed`` when they all passed and
      no task is missing, ``partial`` when they all passed and some tasks are missing
      (:func:`missing_tasks`), otherwise the first of :data:`STATUS_PRIORITY` among them."""
    present = {c["status"] for c in checks if c["status"] != "not_submitted"}
    if not present:
        return "not_submitted"
    if present == {"passed"}:
        return "partial" if missing_tasks(checks) else "passed"
    return next(s for s in STATUS_PRIORITY if s in present)


def missing_tasks(checks: list[dict[str, Any]]) -> list[str]:
    """The tasks (functions) of an exercise that were not submitted, when others were; [] when
    all or none were."""
    tasks: dict[str, set[str]] = {}
    for c in checks:
        tasks.setdefault(c["name"].partition("[")[0], set()).add(c["status"])
    missing = [task for task, statuses in tasks.items() if statuses == {"not_submitted"}]
    return missing if len(missing) < len(tasks) else []


def _unsubmitted(exercise: Any, status: str, message: str) -> list[dict[str, Any]]:
    return [{"name": f"{t.name}[{c.name}]", "status": status, "points": 0.0, "max_points": c.points,
             "message": message} for t in exercise.tasks for c in t.checks]


def exercise_record(exercise: Any, checks: list[dict[str, Any]]) -> dict[str, Any]:
    """An exercise in the results JSON: score, max_score, status, checks; and ``missing``, the
    tasks not submitted, when others were."""
    record = {"score": sum(c["points"] for c in checks), "max_score": exercise.max_points,
              "status": exercise_status(checks), "checks": checks}
    missing = missing_tasks(checks)
    if missing:
        record["missing"] = missing
    return record


def ungraded_checks(source: SubmissionSource, exercise: Any) -> list[dict[str, Any]] | None:
    """The checks of an exercise that needs no worker (the submission cannot be graded, or
    lacks the file); None when the exercise must be graded."""
    if source.problem:
        return _unsubmitted(exercise, "error", source.problem)
    if f"{exercise.module}.py" not in source.files:
        return _unsubmitted(exercise, "not_submitted", _("{module}.py was not submitted").format(module=exercise.module))
    return None


def grade_exercise(source: SubmissionSource, module: str, plan: Plan) -> list[dict[str, Any]]:
    """The checks of one exercise of one submission, graded in a fresh confined worker."""
    use_one_thread()
    set_language(plan.language)
    registry.use_course(plan.course)
    exercise = registry.get(module)
    with WorkerTarget(source.files, plan.limits) as target:
        return check_records(list(Runner(target, plan.settings).run_exercise(exercise)))


def grade_exercise_timed(source: SubmissionSource, module: str, plan: Plan
                         ) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """:func:`grade_exercise`, and where its time went (:func:`grader.engine.timings.take`)."""
    start = time.perf_counter()
    checks = grade_exercise(source, module, plan)
    return checks, timings.take(time.perf_counter() - start)


def check_records(results: list[CheckResult]) -> list[dict[str, Any]]:
    """The checks of one exercise in the results JSON, in order; a check that failed on the same
    counterexample with the same message as an earlier one of its task (one bug,
    :func:`grader.outputs.feedback.same_failures`) also names that check as ``same_as`` (its own points and
    message stay)."""
    records = [check_record(r) for r in results]
    for repeat, first in same_failures([(r.task, r.check, r.failure) for r in results]).items():
        records[repeat]["same_as"] = records[first]["name"]
    return records


def submission_record(source: SubmissionSource, checks: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One submission's record: ``{"name", "score", "max_score", "exercises": {...}}``."""
    exercises = {e.module: exercise_record(e, checks[e.module]) for e in registry.all_exercises()}
    record = {"name": source.name, "score": sum(e["score"] for e in exercises.values()),
              "max_score": sum(e["max_score"] for e in exercises.values()), "exercises": exercises}
    if source.problem:
        record["problem"] = source.problem
    return record


@dataclass(frozen=True)
class Work:
    """One submission as an executor receives it: its code and the exercises to grade (in the
    registry's order; those that need no worker are already recorded)."""

    source: SubmissionSource
    modules: tuple[str, ...]


@dataclass(frozen=True)
class Graded:
    """An executor's answer for one exercise of one submission: its check records, or why the
    grader itself failed on it (the exercise is then recorded as crashed)."""

    index: int  # of the Work in the list the executor was given
    module: str
    checks: list[dict[str, Any]] | None = None  # None when the grader failed
    failure: str | None = None  # one line, e.g. "BrokenProcessPool: ..."; set when checks is None
    timings: dict[str, float] | None = None  # where the judge's time went (grader.engine.timings), when measured


class Executor(Protocol):
    """Where and how the exercises of a batch are graded."""

    def grade(self, work: Sequence[Work], plan: Plan) -> Iterator[Graded]:
        """Grade every module of every Work with :func:`grade_exercise` (or record why the grader
        failed on it), yielding exactly one Graded per (work index, module), as each completes."""


def failure_reason(exc: BaseException) -> str:
    """An exception that stopped the grader, in one line: ``Type: message``."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__


@dataclass(frozen=True)
class LocalExecutor:
    """``jobs`` judge processes on this machine. The unit of work is one exercise of one
    submission, so the judges share out a long submission's exercises. An exercise whose judge
    dies (or fails) is graded once more in a fresh pool; if that fails too, the Graded carries
    the reason."""

    jobs: int

    def grade(self, work: Sequence[Work], plan: Plan) -> Iterator[Graded]:
        units = [(i, module) for i, item in enumerate(work) for module in item.modules]
        for attempt in range(2):
            if not units:
                return
            retry: list[tuple[int, str]] = []
            with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, self.jobs), mp_context=context(),
                                                        initializer=start_judge) as pool:
                futures = {pool.submit(grade_exercise_timed, work[i].source, module, plan): (i, module)
                           for i, module in units}
                for future in concurrent.futures.as_completed(futures):
                    i, module = futures[future]
                    try:
                        checks, spent = future.result()
                    except Exception as exc:  # the judge itself died or failed
                        if attempt == 0:
                            retry.append((i, module))
                        else:
                            yield Graded(i, module, failure=failure_reason(exc))
                        continue
                    yield Graded(i, module, checks, timings=spent)
            units = retry


def start_judge() -> None:
    """A local judge's first step: one intra-op thread, and its workers forked from the run's
    forkserver, the one it was forked from (:mod:`grader.run.forkserver`)."""
    use_one_thread()
    forkserver.share_parent()


def crashed_checks(exercise: Any, reason: str) -> list[dict[str, Any]]:
    """The checks of an exercise the grader failed on (after the executor's retries)."""
    return _unsubmitted(exercise, "crashed", _("the grader failed on this exercise: {reason}").format(reason=reason))


def grade_class(sources: list[SubmissionSource], plan: Plan, jobs: int | None = None,
                progress: Callable[[dict[str, Any]], None] = lambda record: None,
                executor: Executor | None = None) -> list[dict[str, Any]]:
    """Every submission's record, in the order of ``sources``.

    ``executor`` grades the exercises that need a worker (default: a :class:`LocalExecutor` of
    ``jobs`` judges, or of :func:`default_jobs`). ``progress`` is called once per submission, as
    it is complete. An exercise the executor reports the grader failed on is recorded as crashed
    with the reason, and its submission as one the grader failed on (``grader_failed``)."""
    if executor is None:
        executor = LocalExecutor(jobs or default_jobs())
    checks: list[dict[str, list]] = [{} for source in sources]
    work: list[Work] = []
    owners: list[int] = []  # work index -> source index
    for i, source in enumerate(sources):
        modules = []
        for exercise in registry.all_exercises():
            done = ungraded_checks(source, exercise)
            if done is None:
                modules.append(exercise.module)
            else:
                checks[i][exercise.module] = done
        if modules:
            work.append(Work(source, tuple(modules)))
            owners.append(i)
    needed = len(registry.all_exercises())
    records: dict[int, dict[str, Any]] = {}
    failed_judges: set[int] = set()

    def finish(i: int) -> None:
        if len(checks[i]) == needed and i not in records:
            records[i] = submission_record(sources[i], checks[i])
            if i in failed_judges:
                records[i]["grader_failed"] = True
            progress(records[i])

    for i in range(len(sources)):
        finish(i)
    for graded in executor.grade(work, plan):
        i = owners[graded.index]
        if graded.checks is None:
            failed_judges.add(i)
            checks[i][graded.module] = crashed_checks(registry.get(graded.module), graded.failure or "")
        else:
            checks[i][graded.module] = graded.checks
        finish(i)
    return [records[i] for i in range(len(sources))]


def versions() -> dict[str, str]:
    """The versions a grade depends on, recorded in the results."""
    import hypothesis
    import sympy

    return {"convgrade": grader.__version__, "torch": torch.__version__, "hypothesis": hypothesis.__version__,
            "sympy": sympy.__version__, "python": platform.python_version()}


def precision_modes() -> dict[str, Any]:
    """The TF32 switches in force while student code runs (recorded so a grade can be traced to
    its arithmetic; see :func:`grader.engine.settings.full_float32_precision`)."""
    full_float32_precision()
    return {"cuda_matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
            "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
            "float32_matmul_precision": torch.get_float32_matmul_precision()}


def confinement_record(limits: Limits) -> dict[str, str]:
    """What confinement the workers ran under, feature by feature (:mod:`grader.run.confine`), as
    this machine's kernel gives it (``"off"`` everywhere when it was switched off)."""
    if not limits.confined:
        return dict.fromkeys(confine.FEATURES, "off")
    return confine.probe().record()


def results_document(records: Iterable[dict[str, Any]], plan: Plan) -> dict[str, Any]:
    """The whole results JSON."""
    s = plan.settings
    return {"seed": s.seed, "profile": s.profile, "device": str(s.device), "language": plan.language,
            "versions": versions(),
            "precision": {**precision_modes(), "input_dtypes": ["float32", "float64"]},
            "limits": {"call_seconds": plan.limits.call_seconds, "exercise_seconds": plan.limits.exercise_seconds,
                       "memory_mb": plan.limits.memory_mb},
            "confinement": confinement_record(plan.limits),
            "submissions": list(records)}


def default_jobs() -> int:
    """The cores this process may use: the default number of judges."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

