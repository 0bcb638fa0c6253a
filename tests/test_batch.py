"""The batch grader fails closed: each hostile or broken submission scores 0 for what it
affects, gets a clear status and message, never a pass, and the rest of the class is graded.

Every hostile submission attacks ex01 and carries a correct copy of another exercise
(UNTOUCHED), which must keep full marks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.batch import Plan, grade_class, results_document
from grader.engine import registry
from grader.engine.settings import Settings
from grader.run.limits import Limits
from grader.run.submissions import discover
from tests.conftest import ROOT, SOLUTIONS

UNTOUCHED = "ex04_shapes"
PLAN = Plan(Settings(profile="student", seed=7), Limits(call_seconds=3, exercise_seconds=12, memory_mb=768))

HOSTILE = {
    "hangs": """
        def cust_conv2d(X, K):
            while True:
                pass
        true_conv2d = cust_conv2d
    """,
    "segfaults": """
        import ctypes
        def cust_conv2d(X, K):
            return ctypes.string_at(0)
        true_conv2d = cust_conv2d
    """,
    "sys_exit": """
        import sys
        def cust_conv2d(X, K):
            sys.exit(0)
        true_conv2d = cust_conv2d
    """,
    "os_exit": """
        import os
        def cust_conv2d(X, K):
            os._exit(0)
        true_conv2d = cust_conv2d
    """,
    "keyboard_interrupt": """
        def cust_conv2d(X, K):
            raise KeyboardInterrupt
        true_conv2d = cust_conv2d
    """,
    "exits_on_import": """
        import sys
        sys.exit(3)
    """,
    "monkeypatches_torch": """
        import builtins, torch
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)
        torch.testing.assert_close = lambda *a, **k: None
        builtins.abs = lambda x: 0
        def cust_conv2d(X, K):
            return torch.zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1, dtype=X.dtype)
        true_conv2d = cust_conv2d
    """,
    "lying_subclass": """
        import torch
        class Liar(torch.Tensor):
            def __eq__(self, other):
                return True
            def allclose(self, *a, **k):
                return True
        def cust_conv2d(X, K):
            out = torch.zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1, dtype=X.dtype)
            return out.as_subclass(Liar)
        true_conv2d = cust_conv2d
    """,
    "returns_nan": """
        import torch
        def cust_conv2d(X, K):
            return torch.full((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1), float("nan"), dtype=X.dtype)
        true_conv2d = cust_conv2d
    """,
    "returns_numpy": """
        import numpy as np
        def cust_conv2d(X, K):
            return np.zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1))
        true_conv2d = cust_conv2d
    """,
    "returns_list": """
        def cust_conv2d(X, K):
            return [[0.0] * (X.shape[1] - K.shape[1] + 1) for _ in range(X.shape[0] - K.shape[0] + 1)]
        true_conv2d = cust_conv2d
    """,
    "nondeterministic": """
        import torch
        calls = [0]
        def cust_conv2d(X, K):
            calls[0] += 1
            kh, kw = K.shape
            Y = torch.zeros(X.shape[0] - kh + 1, X.shape[1] - kw + 1, dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()
            return Y + (calls[0] % 2)
        def true_conv2d(X, K):
            return cust_conv2d(X, K.flip(0, 1))
    """,
    "imports_the_solutions": """
        from solutions.ex01_cross_correlation import cust_conv2d, true_conv2d
    """,
    "imports_the_grader": """
        import grader.catalog.ex01_cross_correlation as ref
        cust_conv2d = ref.reference_cust_conv2d
        true_conv2d = ref.reference_true_conv2d
    """,
    "exhausts_memory": """
        import torch
        def cust_conv2d(X, K):
            hog = torch.ones(4096, 1024, 1024)  # 16 GiB
            return hog[:1]
        true_conv2d = cust_conv2d
    """,
    "calls_conv2d": """
        import torch.nn.functional as F
        def cust_conv2d(X, K):
            return F.conv2d(X[None, None], K[None, None])[0, 0]
        def true_conv2d(X, K):
            return F.conv2d(X[None, None], K.flip(0, 1)[None, None])[0, 0]
    """,
    "patches_torch_to_convolve_outside_the_guard": """
        import torch
        import torch.nn.functional as F
        seen = {}
        def copy_with_the_answer(self, *args, **kwargs):
            X, K = seen["args"]
            return F.conv2d(X[None, None], K[None, None])[0, 0]
        torch.Tensor.clone = copy_with_the_answer
        def cust_conv2d(X, K):
            seen["args"] = (X, K)
            return torch.zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1, dtype=X.dtype)
        true_conv2d = cust_conv2d
    """,
    "switches_the_guard_off": """
        import torch
        import torch.nn.functional as F
        def cust_conv2d(X, K):
            with torch._C._DisableTorchDispatch():
                return F.conv2d(X[None, None], K[None, None])[0, 0]
        true_conv2d = cust_conv2d
    """,
}

SIDE_EFFECTS = textwrap.dedent("""
    import os, sys, torch
    print("x" * 1_000_000)
    sys.stderr.write("noise\\n" * 1000)
    for target in ("results.json", os.environ.get("CONVGRADE_TEST_OUT", "results.json")):
        try:
            with open(target, "w") as handle:
                handle.write("{}")
        except Exception:
            pass
""") + (SOLUTIONS / "ex01_cross_correlation.py").read_text()


def make_class(root: Path) -> Path:
    cls = root / "class"
    for name, source in {**HOSTILE, "side_effects": SIDE_EFFECTS}.items():
        folder = cls / name
        folder.mkdir(parents=True)
        (folder / "ex01_cross_correlation.py").write_text(textwrap.dedent(source))
        (folder / f"{UNTOUCHED}.py").write_text((SOLUTIONS / f"{UNTOUCHED}.py").read_text())
    good = cls / "zz_complete_ex01"
    good.mkdir()
    (good / "ex01_cross_correlation.py").write_text((SOLUTIONS / "ex01_cross_correlation.py").read_text())
    return cls


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("batch")
    records = grade_class(discover([str(make_class(root))]), PLAN, jobs=2)
    return {r["name"]: r for r in records}


def statuses(record: dict, module: str) -> set[str]:
    return {c["status"] for c in record["exercises"][module]["checks"]}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_submission_scores_zero_and_the_rest_is_graded(graded, name) -> None:
    record = graded[name]
    ex01 = record["exercises"]["ex01_cross_correlation"]
    assert ex01["score"] == 0, ex01
    assert "passed" not in statuses(record, "ex01_cross_correlation")
    assert all(c["message"] for c in ex01["checks"])
    untouched = record["exercises"][UNTOUCHED]
    assert untouched["score"] == untouched["max_score"] == registry.get(UNTOUCHED).max_points, untouched


EXPECTED_STATUS = {
    "hangs": "timeout", "segfaults": "crashed", "sys_exit": "crashed", "os_exit": "crashed",
    "keyboard_interrupt": "crashed", "exits_on_import": "crashed", "calls_conv2d": "forbidden",
    "switches_the_guard_off": "forbidden", "patches_torch_to_convolve_outside_the_guard": "forbidden",
    "imports_the_solutions": "error", "imports_the_grader": "error",
}


@pytest.mark.parametrize("name,status", sorted(EXPECTED_STATUS.items()))
def test_failure_is_named_by_its_status(graded, name, status) -> None:
    assert graded[name]["exercises"]["ex01_cross_correlation"]["status"] == status


@pytest.mark.parametrize("name,words", [
    ("hangs", "did not finish"), ("segfaults", "SIGSEGV"), ("sys_exit", "sys.exit"),
    ("lying_subclass", "torch.Tensor subclass"), ("returns_numpy", "numpy.ndarray"), ("returns_list", "list"),
    ("returns_nan", "NaN"), ("nondeterministic", "different results"), ("calls_conv2d", "conv2d"),
    ("imports_the_solutions", "cannot be imported"), ("switches_the_guard_off", "_DisableTorchDispatch"),
])
def test_message_says_what_happened(graded, name, words) -> None:
    messages = " ".join(c["message"] for c in graded[name]["exercises"]["ex01_cross_correlation"]["checks"])
    assert words in messages


def test_printing_and_writing_files_changes_nothing(graded) -> None:
    record = graded["side_effects"]
    assert record["score"] == graded["zz_complete_ex01"]["score"] + registry.get(UNTOUCHED).max_points
    assert record["exercises"]["ex01_cross_correlation"]["status"] == "passed"


def test_in_place_change_of_inputs_costs_that_check(tmp_path) -> None:
    folder = tmp_path / "class" / "inplace"
    folder.mkdir(parents=True)
    source = (SOLUTIONS / "ex01_cross_correlation.py").read_text().replace(
        "    return Y\n", "    X.zero_()\n    return Y\n")
    (folder / "ex01_cross_correlation.py").write_text(source)
    [record] = grade_class(discover([str(folder)]), PLAN, jobs=1)
    checks = {c["name"]: c for c in record["exercises"]["ex01_cross_correlation"]["checks"]}
    assert checks["cust_conv2d[inputs_unmodified]"]["points"] == 0
    assert "in place" in checks["cust_conv2d[inputs_unmodified]"]["message"]
    assert checks["cust_conv2d[matches_torch]"]["status"] == "passed"


def test_same_seed_same_results(tmp_path) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    source = (SOLUTIONS / "ex01_cross_correlation.py").read_text().replace("K.flip(0, 1)", "K.flip(0)")
    (folder / "ex01_cross_correlation.py").write_text(source)
    first = results_document(grade_class(discover([str(folder)]), PLAN, jobs=1), PLAN)
    second = results_document(grade_class(discover([str(folder)]), PLAN, jobs=1), PLAN)
    assert first == second
    assert first["submissions"][0]["exercises"]["ex01_cross_correlation"]["status"] == "failed"


def test_bad_inputs_get_one_line_each_and_the_rest_is_graded(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "no_exercises").mkdir()
    (tmp_path / "no_exercises" / "notes.py").write_text("x = 1\n")
    (tmp_path / "broken.ipynb").write_text("{not json")
    syntax = tmp_path / "syntax"
    syntax.mkdir()
    (syntax / "ex01_cross_correlation.py").write_text("def cust_conv2d(X, K)\n    return X\n")
    importer = tmp_path / "import_error"
    importer.mkdir()
    (importer / "ex01_cross_correlation.py").write_text("import no_such_module_here\n")
    sources = discover([str(tmp_path / n) for n in ("missing", "empty", "no_exercises", "broken.ipynb",
                                                   "syntax", "import_error")])
    records = {r["name"]: r for r in grade_class(sources, PLAN, jobs=2)}
    assert "no such file" in records["missing"]["problem"]
    assert "empty folder" in records["empty"]["problem"]
    assert "no exercise files" in records["no_exercises"]["problem"]
    assert "not a valid notebook" in records["broken"]["problem"]
    syntax_msg = records["syntax"]["exercises"]["ex01_cross_correlation"]["checks"][0]["message"]
    assert "syntax error at line 1" in syntax_msg
    assert "No module named" in records["import_error"]["exercises"]["ex01_cross_correlation"]["checks"][0]["message"]
    assert all(r["score"] == 0 for r in records.values())


def test_notebook_submission_is_graded_from_its_code_cells(tmp_path) -> None:
    code = (SOLUTIONS / "ex01_cross_correlation.py").read_text()
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# my work"]},
                          {"cell_type": "code", "source": ["%matplotlib inline\n", code]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "erin.ipynb"
    path.write_text(json.dumps(notebook))
    [record] = grade_class(discover([str(path)]), PLAN, jobs=1)
    assert record["name"] == "erin"
    assert record["exercises"]["ex01_cross_correlation"]["status"] == "passed"
    assert record["exercises"][UNTOUCHED]["status"] == "not_submitted"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_cli_writes_every_format_and_exits_zero(tmp_path) -> None:
    folder = tmp_path / "class" / "amy"
    folder.mkdir(parents=True)
    (folder / "ex01_cross_correlation.py").write_text((SOLUTIONS / "ex01_cross_correlation.py").read_text())
    out = tmp_path / "out" / "results.json"
    out.parent.mkdir()
    done = run_cli("grade", str(tmp_path / "class"), "--out", str(out), "--format", "json,csv,gradescope,junit",
                   "--profile", "student", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert set(document) >= {"seed", "profile", "device", "versions", "submissions"}
    [sub] = document["submissions"]
    assert sub["name"] == "amy" and sub["exercises"]["ex01_cross_correlation"]["status"] == "passed"
    assert set(sub["exercises"]["ex01_cross_correlation"]["checks"][0]) == {"name", "status", "points", "max_points", "message"}
    assert (out.parent / "results.csv").read_text().startswith("name,ex01_cross_correlation")
    gradescope = json.loads((out.parent / "results.gradescope" / "amy.json").read_text())
    assert gradescope["tests"][0].keys() >= {"score", "max_score", "name", "output", "visibility"}
    assert "<testsuites" in (out.parent / "results.junit.xml").read_text()
    assert "amy" in done.stdout


@pytest.mark.parametrize("args", [["grade"], ["grade", "x", "--jobs", "0"], ["grade", "x", "--format", "pdf"],
                                  ["grade", "x", "--timeout", "soon"], ["nonsense"]])
def test_bad_options_give_usage_not_traceback(args) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert "usage:" in done.stderr and "Traceback" not in done.stderr


HALF_EX01 = '''import torch


def cust_conv2d(X, K):
    kh, kw = K.shape
    windows = X.unfold(0, kh, 1).unfold(1, kw, 1)
    return (windows * K).sum((-1, -2))
'''
"""ex01 with cust_conv2d (correct, 5 points) and no true_conv2d."""


def test_a_partly_submitted_exercise_shows_its_points(tmp_path) -> None:
    from rich.console import Console

    from grader.batch import exercise_status
    from grader.commands.grade import summary_table
    from grader.outputs.feedback_html import render_feedback
    from grader.outputs.formats import gradescope_results, write_csv
    from grader.outputs.formats_github import submission_markdown

    folder = tmp_path / "pat"
    folder.mkdir()
    (folder / "ex01_cross_correlation.py").write_text(HALF_EX01)
    [record] = grade_class(discover([str(folder)]), PLAN, jobs=1)
    ex01 = record["exercises"]["ex01_cross_correlation"]
    assert (ex01["status"], ex01["score"], ex01["missing"]) == ("partial", 5, ["true_conv2d"])
    assert record["exercises"][UNTOUCHED]["status"] == "not_submitted" and "missing" not in record["exercises"][UNTOUCHED]
    console = Console(width=200, record=True)
    console.print(summary_table([record]))
    row = next(line for line in console.export_text().splitlines() if line.strip().startswith("pat"))
    assert row.split()[1] == "5" and "ex01 partly submitted" in row
    write_csv({"submissions": [record]}, tmp_path / "grades.csv")
    assert (tmp_path / "grades.csv").read_text().splitlines()[1].split(",")[1] == "5"
    assert sum(t["score"] for t in gradescope_results(record)["tests"] if t["name"].startswith("ex01")) == 5
    github = submission_markdown(record, "pat")
    assert "| `ex01_cross_correlation.py` |" in github and "partly submitted | 5/10 |" in github
    page = render_feedback(record, results_document([record], PLAN))
    assert "status-partial" in page and "was not submitted" not in page.split('id="ex01_cross_correlation"')[1][:300]
    # the rule: failed present tasks name the status, missing ones listed beside it
    assert exercise_status([{"name": "a[x]", "status": "failed"}, {"name": "b[x]", "status": "not_submitted"}]) == "failed"
    assert exercise_status([{"name": "a[x]", "status": "not_submitted"}]) == "not_submitted"


def test_one_bug_reads_as_one_block_in_the_json_and_the_html(tmp_path) -> None:
    from grader.outputs.feedback_html import render_feedback

    [record] = grade_class(discover([str(ROOT / "examples" / "class" / "chen_flipped_kernel")]), PLAN, jobs=1)
    checks = {c["name"]: c for c in record["exercises"]["ex01_cross_correlation"]["checks"]}
    for task in ("cust_conv2d", "true_conv2d"):
        first = checks[f"{task}[matches_torch]"]
        assert "same_as" not in first and "smallest failing input" in first["message"]
        for check in ("keeps_float64", "noncontiguous_inputs", "inputs_unmodified"):
            repeat = checks[f"{task}[{check}]"]  # the JSON keeps each check whole
            assert repeat["same_as"] == f"{task}[matches_torch]"
            assert repeat["status"] == "failed" and repeat["max_points"] > 0 and "smallest failing input" in repeat["message"]
    page = render_feedback(record, results_document([record], PLAN))
    ex01 = page.split('id="ex01_cross_correlation"')[1].split('id="ex02')[0]
    assert ex01.count("<pre>") == 2
    assert ex01.count("also failed on the same input: keeps_float64, noncontiguous_inputs, inputs_unmodified") == 2
    assert ex01.count("the same failure on the same input as matches_torch") == 6


def test_a_notebook_cell_repeating_a_failure_shows_one_line() -> None:
    from grader.engine.exercise import Call
    from grader.engine.outcome import CheckResult, Failure
    from grader.notebook.verdict import verdict_lines

    task = registry.get("ex01_cross_correlation").task("cust_conv2d")
    failure = Failure("failed", "cust_conv2d: result differs", call=Call((1,)))
    result = CheckResult("ex01_cross_correlation", "cust_conv2d", "keeps_float64", "failed", 0, 1,
                         message="cust_conv2d: result differs\nsmallest failing input:\n    arg 1 = 1", failure=failure)
    check = task.checks[1]
    assert len(verdict_lines(check, result, PLAN.settings)) == 4
    lines = verdict_lines(check, result, PLAN.settings, same_as="matches_torch")
    assert len(lines) == 2 and "the same failure on the same input as matches_torch" in lines[0]
