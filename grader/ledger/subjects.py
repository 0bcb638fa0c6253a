"""The notes' code listings as subjects under test.

``listings/`` holds verbatim copies of the notes' listings (each marked as such in a header
comment), shipped with the package so that ``convgrade spec`` works from an installed copy. The
three named like contract files (``ex01_cross_correlation.py``, ``ex05_channels.py``,
``ex10_cnnnet.py``) form one submission folder that :func:`grade` grades with the registry's own
checks; the scripts (the learned-kernel loop, the groups example) are run by
:func:`run_script`. Whatever a listing prints is captured, never shown.
"""

from __future__ import annotations

import contextlib
import io
import runpy
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from grader.engine import registry
from grader.engine.outcome import CheckResult, Failure
from grader.engine.runner import Runner
from grader.engine.settings import DEFAULT_SEED, Settings
from grader.run.target import InProcessTarget, Submission

LISTINGS = Path(__file__).resolve().parent / "listings"


class ListingMissing(LookupError):
    """A listing this installation does not carry (student releases leave ``listings/`` out):
    the claims that run it are pending, not failed."""


def listing(name: str) -> Path:
    """The path of ``listings/<name>.py``; :class:`ListingMissing` when it is not installed."""
    path = LISTINGS / f"{name}.py"
    if not path.is_file():
        raise ListingMissing(f"the notes' listing {name}.py is not part of this installation")
    return path


GRADING = Settings(profile="grading", seed=DEFAULT_SEED)


@dataclass(frozen=True)
class Graded:
    """The registry's checks of one task, run on the notes' listing."""

    module: str
    task: str
    results: tuple[CheckResult, ...]
    examples: tuple[str, ...]  # the labels of the task's pinned examples


def grade(module: str, task: str) -> Graded | str:
    """Every check of ``module.task`` on the listings folder, through :class:`Runner` and an
    in-process target; or, while that exercise or task is not registered, why not."""
    try:
        exercise = registry.get(module)
        record = exercise.task(task)
    except KeyError as exc:
        return f"{module}.{task} is not registered yet ({exc.args[0]})"
    listing(module)
    runner = Runner(InProcessTarget(LISTINGS), GRADING)
    with contextlib.redirect_stdout(io.StringIO()):
        results = tuple(runner.run_check(exercise, record, check) for check in record.checks)
    return Graded(module, task, results, tuple(e.label for e in record.examples if e.label))


def load(module: str) -> ModuleType | Failure:
    """A listing loaded as the grader loads a submission's module (its prints captured)."""
    listing(module)
    with contextlib.redirect_stdout(io.StringIO()):
        return Submission(LISTINGS).load(module)


@dataclass(frozen=True)
class Run:
    """A listing run as a script."""

    source: str
    printed: str
    namespace: dict[str, Any]  # its globals at the end


def run_script(name: str, seed: int) -> Run:
    """Run ``listings/<name>.py`` with torch's generator seeded by ``seed`` (and restored after)."""
    path = listing(name)
    out = io.StringIO()
    with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(out):
        torch.manual_seed(seed)
        namespace = runpy.run_path(str(path))
    return Run(path.read_text(encoding="utf-8"), out.getvalue(), namespace)
