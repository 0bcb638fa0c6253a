"""Grading on a Ray cluster: ``convgrade grade --executor ray [--ray-address ADDRESS]``.

:class:`RayExecutor` is an :class:`grader.batch.Executor`: each submission becomes one Ray task,
:func:`grade_submission`, which grades its exercises in order on whichever node has a free CPU,
each in a fresh confined worker (:func:`grader.batch.grade_exercise`, the very pipeline of the
local executor, so the same seed gives the same results). The submission's files and the plan
travel as the task's arguments: the nodes share no filesystem, but each has convgrade installed
with the same pinned versions (a task reports the versions it graded with, and the results of a
node whose versions differ from this machine's are refused, with the reason).

Results stream back as tasks finish (``ray.wait``). Faults: a task whose Ray worker process or
node dies is retried by Ray, up to ``max_retries`` times, on whichever node has a free CPU; a
submission's checks are taken from its one task's one result, so none is lost or recorded twice.
A task that still fails is reported, with the reason, for each of its exercises, and
:func:`grader.batch.grade_class` records them as crashed, as it does for the local executor.

Ray is an optional dependency (``pip install 'convgrade[ray]'``), imported only here and only
when this executor is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from grader.batch import Graded, Plan, Work, failure_reason, grade_exercise, versions
from grader.i18n import _, ngettext
from grader.run.submissions import SubmissionSource

INSTALL = "pip install 'convgrade[ray]'"
GPU_SHARE = 0.125  # of a GPU reserved per task with --device cuda: up to 8 judges share one GPU
MIN_IN_FLIGHT = 8  # tasks submitted ahead of the results, at least; else twice the cluster's CPUs


class RayUnavailable(RuntimeError):
    """Ray is not installed, or no Ray cluster could be reached."""


def import_ray() -> Any:
    """The ``ray`` module; :class:`RayUnavailable` saying how to install it when it is missing."""
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(_("--executor ray needs Ray, which is not installed here: {command}")
                             .format(command=INSTALL)) from exc
    return ray


def grade_submission(source: SubmissionSource, modules: tuple[str, ...], plan: Plan
                     ) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]], dict[str, str]]:
    """The body of a Ray task: ``(versions, checks, failures)`` for ``modules`` of ``source``,
    graded in order. ``checks`` maps each module graded to its check records, ``failures`` each
    module the grader failed on to the reason (one line), ``versions`` is
    :func:`grader.batch.versions` on the node that graded them."""
    checks: dict[str, list[dict[str, Any]]] = {}
    failures: dict[str, str] = {}
    for module in modules:
        try:
            checks[module] = grade_exercise(source, module, plan)
        except Exception as exc:  # a fault of the grader (the submission's own faults are checks)
            failures[module] = failure_reason(exc)
    return versions(), checks, failures


def task_options(plan: Plan, max_retries: int) -> dict[str, Any]:
    """The Ray options of a grading task: one CPU (and a share of a GPU with ``--device cuda``,
    so the task lands on a node that has one), retried when its worker or node dies; an
    exception raised by the task is not retried (grading is deterministic)."""
    options: dict[str, Any] = {"num_cpus": 1, "max_retries": max_retries, "retry_exceptions": False}
    if plan.settings.device.type == "cuda":
        options["num_gpus"] = GPU_SHARE
    return options


def version_mismatch(theirs: dict[str, str], ours: dict[str, str]) -> str | None:
    """Why a node's results cannot be used (its versions differ from this machine's), or None."""
    differ = sorted(name for name in ours.keys() | theirs.keys() if theirs.get(name) != ours.get(name))
    if not differ:
        return None
    return _("the node grades with {theirs} but this machine with {ours}: install convgrade with the same "
             "pinned versions on every node").format(
        theirs=", ".join(f"{name} {theirs.get(name, '-')}" for name in differ),
        ours=", ".join(f"{name} {ours.get(name, '-')}" for name in differ))


@dataclass(frozen=True)
class RayExecutor:
    """One Ray task per submission on the cluster at ``address`` (None: ``ray.init()``'s own
    choice: ``RAY_ADDRESS``, else a cluster started on this machine with ``ray start``, else a
    new local instance). A task is tried at most ``max_retries + 1`` times."""

    address: str | None = None
    max_retries: int = 3

    def __post_init__(self) -> None:
        import_ray()  # fail before any grading when Ray is missing

    def grade(self, work: Sequence[Work], plan: Plan) -> Iterator[Graded]:
        """Connect (unless this process already is), stream every Work's results, disconnect."""
        ray = import_ray()
        connected_here = not ray.is_initialized()
        if connected_here:
            try:
                ray.init(address=self.address, log_to_driver=False, include_dashboard=False,
                         logging_level=logging.ERROR)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise RayUnavailable(_("cannot reach the Ray cluster at {address}: {reason}").format(
                    address=self.address or "auto", reason=failure_reason(exc))) from exc
        try:
            yield from self._stream(ray, work, plan)
        finally:
            if connected_here:
                ray.shutdown()

    def _stream(self, ray: Any, work: Sequence[Work], plan: Plan) -> Iterator[Graded]:
        task = ray.remote(grade_submission).options(**task_options(plan, self.max_retries))
        ours = versions()
        pending: dict[Any, int] = {}  # ObjectRef -> index of its Work
        queue = iter(range(len(work)))
        while True:
            limit = max(MIN_IN_FLIGHT, 2 * int(ray.cluster_resources().get("CPU", 0)))
            while len(pending) < limit and (i := next(queue, None)) is not None:
                pending[task.remote(work[i].source, work[i].modules, plan)] = i
            if not pending:
                return
            [ref], _rest = ray.wait(list(pending), num_returns=1)
            i = pending.pop(ref)
            yield from self._answers(ray, ref, i, work[i], ours)

    def _answers(self, ray: Any, ref: Any, i: int, item: Work, ours: dict[str, str]) -> Iterator[Graded]:
        """The Graded of one finished task: its results, or the reason for each of its modules."""
        try:
            theirs, checks, failures = ray.get(ref)
        except ray.exceptions.RayError as exc:
            reason = self._task_failure(ray, exc)
            for module in item.modules:
                yield Graded(i, module, failure=reason)
            return
        mismatch = version_mismatch(theirs, ours)
        for module in item.modules:
            if mismatch:
                yield Graded(i, module, failure=mismatch)
            else:
                yield Graded(i, module, checks.get(module), failures.get(module))

    def _task_failure(self, ray: Any, exc: Exception) -> str:
        """Why a task failed, in one line: the task's own exception, or what Ray reported after
        its retries (a worker or node that kept dying)."""
        if isinstance(exc, ray.exceptions.RayTaskError) and exc.cause is not None:
            return failure_reason(exc.cause)
        retried = (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                   ray.exceptions.LocalRayletDiedError)
        if isinstance(exc, retried):
            tries = self.max_retries + 1
            return ngettext("{reason} (tried {tries} time)", "{reason} (tried {tries} times)", tries).format(
                reason=failure_reason(exc), tries=tries)
        return failure_reason(exc)
