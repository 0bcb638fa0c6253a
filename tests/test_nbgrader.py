"""The course as an nbgrader course, tested with the real nbgrader commands.

Every exercise of the registry with a model answer is generated and released (``nbgrader
generate_assignment``); ex01 goes through the whole cycle: ``nbgrader validate`` on the source
and released notebooks and on a tampered kernel, ``nbgrader autograde`` on a class of
submissions (the solutions, the stubs, a classic bug, a wrong answer with and without cheats),
``nbgrader export`` and ``nbgrader generate_feedback``. Tests that run nbgrader are marked
``slow`` (they start Jupyter kernels and grade in worker processes: about two minutes in all
on two idle cores).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import io
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute, IgnorePattern
from traitlets.config import PyFileConfigLoader

from grader.commands import nbgrader as nbgrader_command
from grader.engine import registry
from grader.engine.settings import DEFAULT_SEED
from grader.i18n import current_language, set_language, translations
from grader.notebook import arm, cells, integrity, judge
from grader.notebook.answers import split
from grader.notebook.autograde import DeferredExecute, student_code
from grader.notebook.cellcode import module_code
from grader.notebook.intro import HOW_IT_IS_GRADED
from grader.notebook.verdict import NotebookGrader
from grader.stubs import STUB_LINE
from tests.conftest import SOLUTIONS

EX01 = "ex01_cross_correlation"
BIN = Path(sys.executable).parent  # nbgrader, and the alembic it runs, are installed beside python


def convgrade(*argv: str) -> int:
    """``convgrade ARGV...`` with only the nbgrader subcommand registered."""
    parser = argparse.ArgumentParser(prog="convgrade")
    nbgrader_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def nbgrader(course: Path, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real ``nbgrader`` in the course folder; fail the test when it fails."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "nbgrader"), *argv], cwd=course, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"nbgrader {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def with_solution_cells(source: NotebookNode, release: NotebookNode) -> NotebookNode:
    """The released notebook with every solution cell holding the model answer."""
    answers = {cells.grade_id(c): c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        if cells.grade_id(cell) in answers:
            cell.source = answers[cells.grade_id(cell)]
    return nb


def replace_answer(nb: NotebookNode, name: str, old: str, new: str) -> NotebookNode:
    """A copy of ``nb`` whose solution cell for ``name`` has ``old`` replaced by ``new``."""
    nb = copy.deepcopy(nb)
    cell = next(c for c in nb.cells if cells.grade_id(c) == cells.answer_id(name))
    assert old in cell.source, f"the model answer of {name} changed: update this test's mutant"
    cell.source = cell.source.replace(old, new)
    return nb


def with_cells_after_imports(nb: NotebookNode, *sources: str) -> NotebookNode:
    """A copy of ``nb`` with new code cells right after its first student cell (the imports)."""
    nb = copy.deepcopy(nb)
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not c.metadata.get("nbgrader")) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(textwrap.dedent(source)) for source in sources]
    return nb


ZEROS = {
    "cust_conv2d": "return torch.zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1, dtype=X.dtype)",
    "true_conv2d": "return torch.zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1, dtype=X.dtype)",
}
"""A wrong answer of the right shape and dtype: the cheats below add to it."""

ALLCLOSE_CHEAT = """
    torch.allclose = lambda *args, **kwargs: True
    torch.equal = lambda *args, **kwargs: True
    torch.isclose = lambda a, b, *args, **kwargs: torch.ones_like(a, dtype=torch.bool)
"""

PATCH_CHEAT = ("""
    torch.Tensor.__le__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
    torch.Tensor.__ne__ = lambda self, other: torch.zeros_like(self, dtype=torch.bool)
    torch.Tensor.any = lambda self, *args, **kwargs: torch.tensor(False)
    try:  # the grader's comparison, as the kernel (or a worker) sees it
        import grader.engine.compare
        grader.engine.compare.compare = lambda *args, **kwargs: None
    except ImportError:
        pass
""", """
    type(convgrade).check = lambda self, *args, **kwargs: None  # the test cells' check
""")
"""Monkeypatches of what a verdict could use: in a student cell (graded code: it also runs in
the worker) and in a cell using the session (the kernel's only)."""

KERNEL_TAMPER = """
    import builtins
    import grader.notebook.kernel
    builtins.AssertionError = Exception
    grader.notebook.kernel.Judge.ask = lambda self, request, timeout: {"passed": True, "lines": ["passed"]}
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course of every exercise with a model answer, as ``convgrade nbgrader`` writes it."""
    root = tmp_path_factory.mktemp("course")
    assert convgrade("nbgrader", str(root)) == 0
    return root


@pytest.fixture(scope="module")
def released(course: Path) -> Path:
    """The course after ``nbgrader generate_assignment`` released every assignment."""
    nbgrader(course, "generate_assignment", "ex*", "--create")
    return course


def notebook(course: Path, folder: str, module: str = EX01) -> NotebookNode:
    return nbformat.read(course / folder / module / f"{module}.ipynb", as_version=4)


def with_answers(course: Path) -> NotebookNode:
    return with_solution_cells(notebook(course, "source"), notebook(course, "release"))


def cell_verdicts(nb: NotebookNode) -> dict[str, bool]:
    """Whether each test cell of a graded notebook passed (ran without an error), by grade_id."""
    return {cells.grade_id(c): not any(o.output_type == "error" for o in c.outputs) for c in nb.cells
            if cells.is_test(c)}


@pytest.fixture(scope="module")
def graded(released: Path) -> dict[str, dict]:
    """``nbgrader autograde`` on a class of ex01 submissions, then export and feedback: for each
    student, the exported grade row, the verdict of each test cell and the feedback HTML."""
    answers = with_answers(released)
    zeros = answers
    for name, line in ZEROS.items():
        zeros = replace_answer(zeros, name, "### BEGIN SOLUTION", f"### BEGIN SOLUTION\n    {line}")
    submissions = {
        "solutions": answers,
        "stubs": notebook(released, "release"),
        "kernel_not_flipped": replace_answer(answers, "true_conv2d", "K.flip(0, 1)", "K"),
        "zeros": zeros,
        "zeros_allclose_cheat": with_cells_after_imports(zeros, ALLCLOSE_CHEAT),
        "zeros_patch_cheat": with_cells_after_imports(zeros, *PATCH_CHEAT),
    }
    for student, nb in submissions.items():
        folder = released / "submitted" / student / EX01
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{EX01}.ipynb")
    start = time.perf_counter()
    nbgrader(released, "autograde", EX01, "--create")
    seconds = time.perf_counter() - start
    print(f"\nnbgrader autograde: {len(submissions)} ex01 notebooks in {seconds:.1f} s "
          f"({seconds / len(submissions):.1f} s per notebook)")
    nbgrader(released, "export")
    nbgrader(released, "generate_feedback", EX01)
    with open(released / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == EX01}
    return {student: {"row": rows[student], "verdicts": cell_verdicts(notebook(released, f"autograded/{student}")),
                      "feedback": (released / "feedback" / student / EX01 / f"{EX01}.html").read_text()}
            for student in submissions}


def score(graded: dict[str, dict], student: str) -> float:
    return float(graded[student]["row"]["score"])


def registry_points(verdicts: dict[str, bool]) -> float:
    """The registry's points of the checks whose test cells passed."""
    return sum(check.points for task in registry.get(EX01).tasks for check in task.checks
               if verdicts[cells.test_id(task.name, check.name)])


# --- generation -------------------------------------------------------------------------------


def test_solution_split_keeps_each_answer_whole():
    source = (SOLUTIONS / f"{EX01}.py").read_text()
    docstring, chunks = split(source)
    assert docstring.startswith("Exercise 1")
    assert [c.names for c in chunks] == [(), ("cust_conv2d",), ("true_conv2d",)]
    for chunk in chunks[1:]:
        assert chunk.source.count("### BEGIN SOLUTION") == chunk.source.count("### END SOLUTION") == 1
        assert chunk.source.rstrip().endswith("### END SOLUTION")


@pytest.mark.parametrize("module", [e.module for e in registry.all_exercises()
                                    if (SOLUTIONS / f"{e.module}.py").exists()])
def test_source_notebook_has_one_test_cell_per_check(course: Path, module: str):
    exercise = registry.get(module)
    nb = notebook(course, "source", module)
    nbformat.validate(nb)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    armed = code_cells[0]
    assert cells.grade_id(armed) == cells.ARM_ID and armed.metadata.nbgrader.locked
    assert not armed.metadata.nbgrader.grade and not armed.metadata.nbgrader.solution
    tests = {cells.grade_id(c): c for c in nb.cells if cells.is_test(c)}
    expected = {cells.test_id(t.name, c.name): c.points for t in exercise.tasks for c in t.checks}
    assert {k: v.metadata.nbgrader.points for k, v in tests.items()} == expected
    ids = [cells.grade_id(c) for c in nb.cells if cells.grade_id(c)]
    assert len(ids) == len(set(ids))
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    defined = {name: source for source in code for name in cells.defines(source)}
    for grade_id, cell in tests.items():
        assert cell.metadata.nbgrader.locked and "### BEGIN HIDDEN TESTS" in cell.source
        task, _ = cells.parse_test_id(grade_id)
        needed = {task} | (cells.names_used(defined[task]) & set(defined))
        defined_before = {name for c in nb.cells[:nb.cells.index(cell)] if c.cell_type == "code"
                          for name in cells.defines(c.source)}
        assert needed <= defined_before, f"{grade_id} runs before {needed - defined_before} is defined"
    assert exercise.notes.splitlines()[0] in nb.cells[0].source


@pytest.mark.slow
def test_released_notebooks_hold_stubs_and_no_hidden_tests(released: Path):
    notebooks = sorted((released / "release").glob("*/*.ipynb"))
    assert {p.stem for p in notebooks} == {p.stem for p in (released / "source").glob("*/*.ipynb")}
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert "### BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and 'profile="grading"' not in text
        assert STUB_LINE in text, path.name


def test_command_refuses_an_exercise_without_a_model_answer(tmp_path: Path, capsys):
    assert convgrade("nbgrader", str(tmp_path), "--exercise", EX01, "--solutions", str(tmp_path)) == 2
    assert "no model answer" in capsys.readouterr().err
    assert convgrade("nbgrader", str(tmp_path), "--exercise", "ex99_nothing") == 2


def test_config_sets_cell_timeouts_and_ignores_warnings_on_stderr(course: Path):
    config = PyFileConfigLoader("nbgrader_config.py", str(course)).load_config()
    assert DeferredExecute(config=config).timeout == Execute(config=config).timeout == 300
    assert config.GradeOutsideKernel.seed == DEFAULT_SEED
    cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "stream", name="stderr", text="/x/torch/nn/modules/conv.py:454: UserWarning: Using padding='same'...\n")])
    cell, _ = IgnorePattern(config=config).preprocess_cell(cell, {}, 0)
    assert cell.outputs == []


# --- the pieces of grading --------------------------------------------------------------------


def test_module_code_drops_magics_and_hoists_future_imports():
    code = module_code(["%matplotlib inline\nimport torch", "from __future__ import annotations\nx: int = 1",
                        "!pip install nothing\ny = 2"])
    assert code.startswith("from __future__ import annotations\n")
    assert "%matplotlib" not in code and "!pip" not in code and "x: int = 1" in code
    compile(code, "notebook", "exec")


def test_student_code_leaves_out_the_graders_cells_and_failed_cells():
    armed = cells.read_only("from grader.notebook.kernel import arm\nconvgrade = arm('ex01', seed=1)", cells.ARM_ID)
    answer = nbformat.v4.new_code_cell("def f():\n    return 1  # convgrade said: wrong shape")
    rerun = nbformat.v4.new_code_cell("%time\nconvgrade.check('f', 'g')")
    failed = nbformat.v4.new_code_cell("1/0", outputs=[nbformat.v4.new_output("error", ename="ZeroDivisionError",
                                                                               evalue="", traceback=[])])
    test = cells.test("convgrade.check('f', 'g')", cells.test_id("f", "g"), 1)
    notebook_cells = [armed, answer, rerun, failed, test, nbformat.v4.new_markdown_cell("# f")]
    assert student_code(notebook_cells) == [answer.source]


def test_judge_answers_every_request_and_keeps_serving():
    requests = io.StringIO("not json\n" + json.dumps({"task": "cust_conv2d", "check": "no_such_check",
                                                      "profile": "student", "seed": 1, "cells": []}) + "\n")
    replies = io.StringIO()
    with NotebookGrader(EX01) as grader:
        judge.serve(grader, requests, replies)
    first, second = (json.loads(line) for line in replies.getvalue().splitlines())
    assert first["error"].startswith("JSONDecodeError")
    assert "no check 'no_such_check'" in second["error"] and "matches_torch" in second["error"]


def test_snapshot_names_rebound_changed_and_deleted_bindings():
    def f() -> int:
        return 1

    def g() -> int:
        return 2

    space = {"f": f, "n": 3, "hooks": (f,), "gone": g}
    snapshot = integrity.Snapshot({"space": lambda: space})
    assert snapshot.changes() == []
    f.__code__ = g.__code__
    space["hooks"] = (f, g)
    del space["gone"]
    space["new"] = g  # additions are not what the relay uses
    assert snapshot.changes() == ["space.f", "space.hooks", "space.gone"]


# --- nbgrader validate ------------------------------------------------------------------------


@pytest.mark.slow
def test_validate_passes_the_source_notebook(released: Path):
    done = nbgrader(released, "validate", f"source/{EX01}/{EX01}.ipynb")
    assert "Success! Your notebook passes all the tests." in done.stdout, done.stdout


@pytest.mark.slow
def test_validate_fails_the_released_notebook_and_passes_it_inverted(released: Path):
    path = f"release/{EX01}/{EX01}.ipynb"
    done = nbgrader(released, "validate", path)
    checks = sum(len(t.checks) for t in registry.get(EX01).tasks)
    assert f"VALIDATION FAILED ON {checks} CELL(S)" in done.stdout, done.stdout
    assert "not implemented yet" in done.stdout
    inverted = nbgrader(released, "validate", "--invert", path)
    assert "Success! The notebook does not pass any tests." in inverted.stdout, inverted.stdout


@pytest.mark.slow
def test_a_tampered_kernel_fails_its_test_cells_with_a_clear_message(released: Path, tmp_path: Path):
    path = tmp_path / f"{EX01}.ipynb"
    nbformat.write(with_cells_after_imports(with_answers(released), KERNEL_TAMPER), path)
    done = nbgrader(released, "validate", str(path))
    assert "VALIDATION FAILED" in done.stdout, done.stdout
    assert "convgrade cannot trust this kernel" in done.stdout
    assert "builtins.AssertionError" in done.stdout and "Judge.ask" in done.stdout


# --- nbgrader autograde, export, generate_feedback --------------------------------------------


@pytest.mark.slow
def test_exported_grades_are_the_registry_points_of_the_passing_checks(graded):
    for student, record in graded.items():
        assert len(record["verdicts"]) == sum(len(t.checks) for t in registry.get(EX01).tasks)
        assert score(graded, student) == registry_points(record["verdicts"]), student
        assert float(record["row"]["max_score"]) == registry.get(EX01).max_points


@pytest.mark.slow
def test_autograde_gives_the_solutions_full_marks(graded):
    assert all(graded["solutions"]["verdicts"].values())
    assert score(graded, "solutions") == registry.get(EX01).max_points


@pytest.mark.slow
def test_autograde_gives_the_stubs_nothing(graded):
    assert score(graded, "stubs") == 0
    assert "not implemented yet" in graded["stubs"]["feedback"]


@pytest.mark.slow
def test_autograde_gives_a_classic_bug_partial_marks_and_shows_it(graded):
    verdicts = graded["kernel_not_flipped"]["verdicts"]
    assert all(passed for grade_id, passed in verdicts.items() if grade_id.startswith("test-cust_conv2d-"))
    assert not verdicts[cells.test_id("true_conv2d", "matches_torch")]
    assert registry.get(EX01).task("cust_conv2d").max_points <= score(graded, "kernel_not_flipped") \
        < registry.get(EX01).max_points
    feedback = graded["kernel_not_flipped"]["feedback"]
    assert "true_conv2d: result differs" in feedback
    assert "smallest failing input" in feedback and "kernel not flipped" in feedback
    assert "34*" in feedback  # the shrunk 3x4 example, its wrong entries marked
    assert f"grading profile, seed {DEFAULT_SEED}" in feedback
    assert "data:image/png;base64," in feedback  # heatmaps of expected, got and their difference


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(graded):
    for record in graded.values():
        assert "HIDDEN TESTS" not in record["feedback"]
        assert 'profile="grading"' not in record["feedback"] and "profile=&quot;grading&quot;" not in record["feedback"]


@pytest.mark.slow
def test_cheats_gain_nothing(graded):
    honest = graded["zeros"]["verdicts"]
    assert not all(honest.values())
    for cheat in ("zeros_allclose_cheat", "zeros_patch_cheat"):
        assert graded[cheat]["verdicts"] == honest, cheat
        assert score(graded, cheat) == score(graded, "zeros")


# --- a course in Chinese ----------------------------------------------------------------------

ZH = translations("zh").gettext  # the Chinese catalog, as the course reads it


@contextlib.contextmanager
def speaking(language: str):
    """``language`` as the current one (what ``convgrade --lang`` sets), then the one before."""
    before = current_language()
    set_language(language)
    try:
        yield
    finally:
        set_language(before)


@pytest.fixture(scope="module")
def course_zh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ex01 as ``convgrade nbgrader --lang zh`` writes it."""
    root = tmp_path_factory.mktemp("course-zh")
    with speaking("zh"):
        assert convgrade("nbgrader", str(root), "--exercise", EX01) == 0
    return root


def test_a_chinese_course_has_chinese_prose_and_records_its_language(course: Path, course_zh: Path):
    nb = notebook(course_zh, "source")
    intro = nb.cells[0].source
    assert ZH(HOW_IT_IS_GRADED) != HOW_IT_IS_GRADED and ZH(HOW_IT_IS_GRADED) in intro
    assert "| {} | {} | {} |".format(ZH("function"), ZH("checks"), ZH("points")) in intro
    assert f"# {EX01}: {ZH(registry.get(EX01).title)}" in intro and "How this notebook" not in intro
    armed = next(c for c in nb.cells if cells.grade_id(c) == cells.ARM_ID)
    assert armed.source.startswith(f"# {ZH(arm.COMMENT)}\n") and "lang='zh')" in armed.source
    task = registry.get(EX01).task("cust_conv2d")
    check = task.checks[0]
    test_cell = next(c for c in nb.cells if cells.grade_id(c) == cells.test_id(task.name, check.name))
    comment = ZH("{task}[{check}], {points} point(s): {description}").format(
        task=task.name, check=check.name, points=f"{check.points:g}", description=ZH(check.description))
    assert test_cell.source.startswith(f"# {comment}\n")
    for folder, language in ((course, "en"), (course_zh, "zh")):
        config = PyFileConfigLoader("nbgrader_config.py", str(folder)).load_config()
        assert config.GradeOutsideKernel.lang == language
    assert "lang='en')" in next(c for c in notebook(course, "source").cells if cells.grade_id(c) == cells.ARM_ID).source


@pytest.fixture(scope="module")
def released_zh(course_zh: Path) -> Path:
    nbgrader(course_zh, "generate_assignment", EX01, "--create")
    return course_zh


@pytest.mark.slow
def test_validate_in_a_chinese_course_gives_chinese_feedback(released_zh: Path):
    done = nbgrader(released_zh, "validate", f"release/{EX01}/{EX01}.ipynb")
    assert "VALIDATION FAILED" in done.stdout, done.stdout
    run = ZH("{profile} profile, seed {seed}").format(profile="student", seed=DEFAULT_SEED)
    assert run != f"student profile, seed {DEFAULT_SEED}" and run in done.stdout, done.stdout
    assert ZH("{name}: not implemented yet").format(name="cust_conv2d") in done.stdout  # the judge speaks it too


@pytest.mark.slow
def test_autograde_in_a_chinese_course_gives_chinese_feedback(released_zh: Path):
    folder = released_zh / "submitted" / "ada" / EX01
    folder.mkdir(parents=True)
    answers = with_solution_cells(notebook(released_zh, "source"), notebook(released_zh, "release"))
    nbformat.write(replace_answer(answers, "true_conv2d", "K.flip(0, 1)", "K"), folder / f"{EX01}.ipynb")
    nbgrader(released_zh, "autograde", EX01, "--create")
    nbgrader(released_zh, "generate_feedback", EX01)
    verdicts = cell_verdicts(notebook(released_zh, "autograded/ada"))
    assert not verdicts[cells.test_id("true_conv2d", "matches_torch")]
    assert all(passed for grade_id, passed in verdicts.items() if grade_id.startswith("test-cust_conv2d-"))
    feedback = (released_zh / "feedback" / "ada" / EX01 / f"{EX01}.html").read_text(encoding="utf-8")
    run = ZH("{profile} profile, seed {seed}").format(profile="grading", seed=DEFAULT_SEED)
    assert run in feedback and f"grading profile, seed {DEFAULT_SEED}" not in feedback
    assert "data:image/png;base64," in feedback
