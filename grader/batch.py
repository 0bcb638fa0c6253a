"""Grading a whole class: judges in parallel, each submission's code in confined workers.

The main process finds and snapshots the submissions, hands them to ``jobs`` judge processes
(forked warm from a forkserver that imported torch and the grader), shows progress, and
gathers one record per submission in the results JSON's shape. A judge grades one submission
at a time, exercise by exercise, each exercise in a fresh :class:`grader.sandbox.WorkerTarget`.
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import platform
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch

import grader
from grader import registry
from grader.outcome import CheckResult
from grader.runner import Runner
from grader.sandbox import Limits, WorkerTarget, context
from grader.settings import Settings, full_float32_precision, use_one_thread
from grader.submissions import SubmissionSource

STATUS_PRIORITY = ("forbidden", "timeout", "crashed", "error", "failed", "not_submitted")
"""Which status names an exercise when its checks disagree: the first one present."""


@dataclass(frozen=True)
class Plan:
    """What a batch run grades with; sent to every judge."""

    settings: Settings
    limits: Limits


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

        return {"expected": rows(expected), "got": rows(got)}
    return None


def exercise_status(checks: list[dict[str, Any]]) -> str:
    """An exercise's status from its checks': passed, not_submitted, or the first of
    :data:`STATUS_PRIORITY` among them."""
    statuses = {c["status"] for c in checks}
    if statuses == {"passed"}:
        return "passed"
    if statuses == {"not_submitted"}:
        return "not_submitted"
    return next(s for s in STATUS_PRIORITY if s in statuses)


def _unsubmitted(exercise: Any, status: str, message: str) -> list[dict[str, Any]]:
    return [{"name": f"{t.name}[{c.name}]", "status": status, "points": 0.0, "max_points": c.points,
             "message": message} for t in exercise.tasks for c in t.checks]


def exercise_record(exercise: Any, checks: list[dict[str, Any]]) -> dict[str, Any]:
    """An exercise in the results JSON: score, max_score, status, checks."""
    return {"score": sum(c["points"] for c in checks), "max_score": exercise.max_points,
            "status": exercise_status(checks), "checks": checks}


def ungraded_checks(source: SubmissionSource, exercise: Any) -> list[dict[str, Any]] | None:
    """The checks of an exercise that needs no worker (the submission cannot be graded, or
    lacks the file); None when the exercise must be graded."""
    if source.problem:
        return _unsubmitted(exercise, "error", source.problem)
    if f"{exercise.module}.py" not in source.files:
        return _unsubmitted(exercise, "not_submitted", f"{exercise.module}.py was not submitted")
    return None


def grade_exercise(source: SubmissionSource, module: str, plan: Plan) -> list[dict[str, Any]]:
    """The checks of one exercise of one submission, graded in a fresh confined worker."""
    use_one_thread()
    exercise = registry.get(module)
    with WorkerTarget(source.files, plan.limits) as target:
        return [check_record(r) for r in Runner(target, plan.settings).run_exercise(exercise)]


def submission_record(source: SubmissionSource, checks: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One submission's record: ``{"name", "score", "max_score", "exercises": {...}}``."""
    exercises = {e.module: exercise_record(e, checks[e.module]) for e in registry.all_exercises()}
    record = {"name": source.name, "score": sum(e["score"] for e in exercises.values()),
              "max_score": sum(e["max_score"] for e in exercises.values()), "exercises": exercises}
    if source.problem:
        record["problem"] = source.problem
    return record


def grade_class(sources: list[SubmissionSource], plan: Plan, jobs: int,
                progress: Callable[[dict[str, Any]], None] = lambda record: None) -> list[dict[str, Any]]:
    """Every submission's record, in the order of ``sources``.

    The unit of work is one exercise of one submission, so the judges share out a long
    submission's exercises. ``progress`` is called as each submission is complete. A judge that
    dies is replaced and its exercise graded once more; if it dies again that exercise is
    recorded as crashed and the submission as one the grader failed on."""
    checks: list[dict[str, list]] = [{} for _ in sources]
    work: list[tuple[int, str]] = []
    for i, source in enumerate(sources):
        for exercise in registry.all_exercises():
            done = ungraded_checks(source, exercise)
            if done is None:
                work.append((i, exercise.module))
            else:
                checks[i][exercise.module] = done
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
    for attempt in range(2):
        if not work:
            break
        retry: list[tuple[int, str]] = []
        with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context(),
                                                    initializer=use_one_thread) as pool:
            futures = {pool.submit(grade_exercise, sources[i], module, plan): (i, module) for i, module in work}
            for future in concurrent.futures.as_completed(futures):
                i, module = futures[future]
                try:
                    checks[i][module] = future.result()
                except Exception as exc:  # the judge itself died or failed
                    if attempt == 0:
                        retry.append((i, module))
                        continue
                    failed_judges.add(i)
                    checks[i][module] = _unsubmitted(registry.get(module), "crashed", "the grader failed on this "
                                                     f"exercise: {type(exc).__name__}: {exc}")
                finish(i)
        work = retry
    return [records[i] for i in range(len(sources))]


def versions() -> dict[str, str]:
    """The versions a grade depends on, recorded in the results."""
    import hypothesis
    import sympy

    return {"convgrade": grader.__version__, "torch": torch.__version__, "hypothesis": hypothesis.__version__,
            "sympy": sympy.__version__, "python": platform.python_version()}


def precision_modes() -> dict[str, Any]:
    """The TF32 switches in force while student code runs (recorded so a grade can be traced to
    its arithmetic; see :func:`grader.settings.full_float32_precision`)."""
    full_float32_precision()
    return {"cuda_matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
            "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
            "float32_matmul_precision": torch.get_float32_matmul_precision()}


def results_document(records: Iterable[dict[str, Any]], plan: Plan) -> dict[str, Any]:
    """The whole results JSON."""
    s = plan.settings
    return {"seed": s.seed, "profile": s.profile, "device": str(s.device), "versions": versions(),
            "precision": {**precision_modes(), "input_dtypes": ["float32", "float64"]},
            "limits": {"call_seconds": plan.limits.call_seconds, "exercise_seconds": plan.limits.exercise_seconds,
                       "memory_mb": plan.limits.memory_mb},
            "submissions": list(records)}


def default_jobs() -> int:
    """The cores this process may use: the default number of judges."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

