"""Drawn inputs and references kept per run (grader.engine.replay): the same results as without them,
byte for byte; a failing student still shrinks from their own counterexample."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

from grader.engine import registry, replay
from grader.batch import Plan, grade_class, results_document
from grader.run.limits import Limits
from grader.engine.runner import Runner
from grader.engine.settings import Settings
from grader.run.submissions import discover
from grader.run.target import InProcessTarget
from tests.conftest import ROOT, SOLUTIONS

EX01 = "ex01_cross_correlation"
GRADING = Settings.make("grading")  # what `convgrade grade` grades with
WITHOUT = dataclasses.replace(GRADING, replay=False)


def grade_in_process(folder: Path, settings: Settings) -> list[tuple[str, str, str]]:
    """(check, status, message) of every check of ex01 for ``folder``."""
    results = Runner(InProcessTarget(folder), settings).run_exercise(registry.get(EX01))
    return [(f"{r.task}[{r.check}]", r.status, r.message) for r in results]


def submission(tmp_path: Path, name: str, source: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / f"{EX01}.py").write_text(textwrap.dedent(source))
    return folder


def test_the_sample_class_is_graded_identically_with_and_without_the_cache() -> None:
    sources = discover([str(ROOT / "examples" / "class")])
    documents = [json.dumps(results_document(grade_class(sources, Plan(settings, Limits()), jobs=2),
                                             Plan(settings, Limits())), sort_keys=True)
                 for settings in (GRADING, WITHOUT)]
    assert documents[0] == documents[1]


def test_a_passing_student_is_judged_on_the_kept_draws(tmp_path: Path) -> None:
    replay.clear()
    first = grade_in_process(SOLUTIONS, GRADING)
    key = replay.key(EX01, "cust_conv2d", "matches_torch", 0, GRADING.seed, GRADING.hypothesis.max_examples)
    assert replay.draws(key), "the first passing student keeps the draws"
    again = grade_in_process(submission(tmp_path, "again", (SOLUTIONS / f"{EX01}.py").read_text()), GRADING)
    assert again == first and {status for _, status, _ in first} == {"passed"}


def test_a_failing_student_shrinks_from_their_own_counterexample(tmp_path: Path) -> None:
    """The bug shows only on inputs taller than the pinned examples: hypothesis finds it among
    the drawn inputs and shrinks it, exactly as when nothing is kept."""
    buggy = submission(tmp_path, "tall", (SOLUTIONS / f"{EX01}.py").read_text().replace(
        "    return Y\n", "    if X.shape[0] > 5:\n        Y = Y + 1\n    return Y\n"))
    replay.clear()
    cold = grade_in_process(buggy, WITHOUT)
    grade_in_process(SOLUTIONS, GRADING)  # keeps the draws
    warm = grade_in_process(buggy, GRADING)
    assert warm == cold
    assert dict((name, status) for name, status, _ in warm)["cust_conv2d[matches_torch]"] == "failed"


def test_a_failure_on_a_kept_call_stands_when_hypothesis_then_finds_none(tmp_path: Path) -> None:
    """A function wrong only on its 12th call fails there; hypothesis, run again from the start,
    sees only later (right) calls: the failure seen is kept, never turned into a pass."""
    source = "CALLS = [0]\n" + (SOLUTIONS / f"{EX01}.py").read_text().replace(
        "    kh, kw = K.shape\n", "    CALLS[0] += 1\n    if CALLS[0] == 12:\n        return torch.zeros(1, 1)\n"
                                "    kh, kw = K.shape\n", 1)
    replay.clear()
    grade_in_process(SOLUTIONS, GRADING)
    statuses = dict((name, status) for name, status, _ in grade_in_process(submission(tmp_path, "twelfth", source),
                                                                           GRADING))
    assert statuses["cust_conv2d[matches_torch]"] == "failed"


def test_nothing_is_kept_without_a_seed() -> None:
    assert replay.key(EX01, "cust_conv2d", "matches_torch", 0, None, 40) is None
    assert replay.draws(None) is None
