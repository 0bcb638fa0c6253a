"""The student front-end as a student meets it: `pytest exercises/` on the stubs and on a
submission folder, markers and -k, the not-implemented line, the points table, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import ROOT


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``pytest exercises/ -q ARGS`` as a student runs it; ``env`` replaces the environment."""
    return subprocess.run([sys.executable, "-m", "pytest", "exercises/", "-q", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300, env=env)


def outside_ci() -> dict[str, str]:
    """This environment less the variables by which pytest and hypothesis detect a CI runner."""
    return {k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER")}


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


# --- every student run ends ----------------------------------------------------------------------

RUNAWAY = '''import time


def cust_conv2d(X, K):
    while True:  # an infinite loop
        pass


def true_conv2d(X, K):
    return true_conv2d(X, K)  # recursion without end
'''

SLEEPY_AND_GREEDY = '''import time


def cust_conv2d(X, K):
    try:
        time.sleep(1000)
    except Exception:  # swallowing errors does not swallow the time limit
        pass


def true_conv2d(X, K):
    hoard = [bytearray(2 ** 20) for _ in range(100_000)]  # 100 GB, a MB at a time
    return hoard
'''


def check_seconds(junit: Path) -> dict[str, float]:
    """Each check's wall time from pytest's JUnit XML."""
    return {case.get("name"): float(case.get("time")) for case in ElementTree.parse(junit).iter("testcase")}


def test_a_call_that_loops_or_recurses_forever_ends_and_the_table_is_printed(tmp_path: Path) -> None:
    (tmp_path / "ex01_cross_correlation.py").write_text(RUNAWAY)
    done = run("--submission", str(tmp_path), "-m", "ex01", "--call-timeout", "1", f"--junitxml={tmp_path / 'j.xml'}")
    assert done.returncode == 1
    assert "cust_conv2d did not finish within 1 s (its time limit); an infinite loop?" in done.stdout
    assert "the input it was given" in done.stdout and "arg 1 = " in done.stdout
    assert "true_conv2d raised RecursionError" in done.stdout
    assert "Traceback" not in done.stdout and "grader/" not in done.stdout
    assert "total" in done.stdout and "0/10" in done.stdout
    seconds = check_seconds(tmp_path / "j.xml")
    assert seconds["cust_conv2d[matches_torch]"] < 2 * 1 + 1, seconds  # the first check meets the loop
    assert sum(seconds.values()) < 2 * 1 + 10, seconds  # the others do not call it again


def test_a_sleeping_call_that_swallows_errors_and_a_runaway_allocation_end(tmp_path: Path) -> None:
    (tmp_path / "ex01_cross_correlation.py").write_text(SLEEPY_AND_GREEDY)
    done = run("--submission", str(tmp_path), "-m", "ex01", "--call-timeout", "1.5", "--call-memory", "256")
    assert done.returncode == 1
    assert "cust_conv2d did not finish within 1.5 s" in done.stdout
    assert "true_conv2d ran out of memory (more than 256 MB for one call)" in done.stdout
    assert "0/10" in done.stdout


def test_the_call_timeout_and_pytest_timeout_plugins_load_together(tmp_path: Path) -> None:
    pytest.importorskip("pytest_timeout", reason="pytest-timeout is not installed (scripts/setup installs it)")
    (tmp_path / "ex01_cross_correlation.py").write_text(RUNAWAY)
    done = run("--submission", str(tmp_path), "-m", "ex01", "--timeout", "120",
               "--call-timeout", "1")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "cust_conv2d did not finish within 1 s" in done.stdout and "Timeout" not in done.stdout
    solved = run("--submission", "solutions", "-m", "ex01", "--timeout", "120")
    assert solved.returncode == 0 and "10/10" in solved.stdout


@pytest.mark.parametrize("where", ["outside CI", "on CI", "-vvv"])
def test_one_bug_reads_as_one_block_per_function(where: str) -> None:
    """The flipped-kernel student fails four checks of each function on the same counterexample:
    the full block once per function, one line for each repeat. The same on a CI runner and
    under -vv, where pytest would print a report's whole text again in the short summary."""
    env = outside_ci() | ({"CI": "true"} if where == "on CI" else {})
    done = run("--submission", "examples/class/chen_flipped_kernel", "-m", "ex01", "--seed", "1",
               *(["-vvv"] if where == "-vvv" else []), env=env)  # -q -vvv: pytest's -vv
    assert done.returncode == 1 and "8 failed" in done.stdout
    failures, summary = done.stdout.split("short test summary info")
    assert failures.count("smallest failing input") == 2
    assert failures.count("recognised mistake:") == 2
    assert failures.count("(the same failure on the same input as matches_torch: see its feedback)") == 6
    failed = [line for line in summary.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 8 and "smallest failing input" not in summary and "[failed:" not in summary


def test_naming_an_exercise_file_grades_the_submission_not_the_stub() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "exercises/ex01_cross_correlation.py", "-q",
                           "--submission", "solutions"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "10/10" in done.stdout and "not implemented" not in done.stdout
