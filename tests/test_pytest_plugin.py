"""The student front-end as a student meets it: `pytest exercises/` on the stubs and on a
submission folder, markers and -k, the not-implemented line, the points table, exit codes."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "exercises/", "-q", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def test_stubs_fail_every_check_with_one_line_and_score_zero() -> None:
    done = run("-m", "ex01")
    assert done.returncode == 1
    assert "8 failed" in done.stdout
    assert done.stdout.count("cust_conv2d: not implemented yet") >= 4
    assert "Traceback" not in done.stdout and "grader/" not in done.stdout
    assert "total" in done.stdout and "0/10" in done.stdout


def test_a_submission_folder_is_graded_and_the_table_adds_up() -> None:
    done = run("--submission", "solutions", "-m", "ex01 or ex09")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "ex01_cross_correlation" in done.stdout and "ex09_receptive_field" in done.stdout
    assert "14/14" in done.stdout and "ex02" not in done.stdout


def test_k_selects_one_function(tmp_path) -> None:
    done = run("--submission", "solutions", "-k", "pad2d", "--profile", "grading")
    assert done.returncode == 0
    assert "5 passed" in done.stdout and "profile grading, seed" in done.stdout


def test_a_failure_shows_the_counterexample_and_the_mistake(tmp_path) -> None:
    source = (ROOT / "solutions" / "ex01_cross_correlation.py").read_text()
    (tmp_path / "ex01_cross_correlation.py").write_text(source.replace("* K).sum()", "* K.flip(0, 1)).sum()"))
    done = run("--submission", str(tmp_path), "-m", "ex01", "--seed", "1")
    assert done.returncode == 1
    assert "smallest failing input" in done.stdout and "expected:" in done.stdout and "got:" in done.stdout
    assert "recognised mistake: kernel flipped" in done.stdout
    assert "(* = wrong entry)" in done.stdout


def test_a_missing_submission_folder_is_a_usage_error(tmp_path) -> None:
    done = run("--submission", str(tmp_path / "nowhere"))
    assert done.returncode != 0 and "no such folder" in (done.stdout + done.stderr)


def test_one_bug_reads_as_one_block_per_function() -> None:
    """The flipped-kernel student fails four checks of each function on the same counterexample:
    the full block once per function, one line for each repeat."""
    done = run("--submission", "examples/class/chen_flipped_kernel", "-m", "ex01", "--seed", "1")
    assert done.returncode == 1 and "8 failed" in done.stdout
    assert done.stdout.count("smallest failing input") == 2
    assert done.stdout.count("recognised mistake:") == 2
    assert done.stdout.count("(the same failure on the same input as matches_torch: see its feedback)") == 6
