"""The student release: stubs and the grader, no model answer, working on its own; its CI
workflow; and the ``github`` output that workflow shows (job summary and annotations)."""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from grader.batch import Plan, grade_class, results_document
from grader.engine import registry
from grader.engine.settings import Settings
from grader.i18n import current_language, set_language, translations
from grader.outputs.formats_github import definition_lines, summary_markdown, workflow_command, write_github
from grader.release.bundle import SETUP_COMMENT, build_release
from grader.release.leaks import LeakError, find_leaks
from grader.release.tree import LEFT_OUT, python_version
from grader.release.workflow import GRADE_COMMAND, GRADER_DIR, HEADER, STEPS, STUDENT_DIR, WORKFLOW_PATH, GraderPin
from grader.run.limits import Limits
from grader.run.submissions import discover
from grader.stubs import BEGIN, make_stub
from tests.conftest import EXERCISES, ROOT, SOLUTIONS

PIN = GraderPin("instructor/convgrade", "0123456789abcdef0123456789abcdef01234567")
MAX_POINTS = sum(e.max_points for e in registry.all_exercises())
EX01 = "ex01_cross_correlation"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without convgrade's or GitHub's variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVGRADE_", "GITHUB_", "PYTHON"))}
    return {**env, **extra}


def fake_root(folder: Path, planted: str = "") -> Path:
    """A project root holding ex01's solution, the project's packaging files and a one-file
    grader/ (``planted`` is its code): enough for the release builders, quick to copy."""
    (folder / "solutions").mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{EX01}.py", folder / "solutions")
    (folder / "exercises").mkdir()
    shutil.copy(EXERCISES / "conftest.py", folder / "exercises")
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, folder)
    (folder / "grader").mkdir()
    (folder / "grader" / "__init__.py").write_text(planted)
    return folder


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The project's release, built and verified as `convgrade release` builds it."""
    folder = tmp_path_factory.mktemp("release") / "bundle"
    build_release(folder, PIN)
    return folder


def test_bundle_holds_stubs_and_the_grader_and_no_solutions(bundle: Path):
    solutions = sorted(SOLUTIONS.glob("ex[0-9][0-9]_*.py"))
    stubs = sorted((bundle / "exercises").glob("ex[0-9][0-9]_*.py"))
    assert [p.name for p in stubs] == [p.name for p in solutions]
    for solution, stub in zip(solutions, stubs):
        assert stub.read_text() == make_stub(solution.read_text())
    assert (bundle / "exercises" / "conftest.py").read_text() == (EXERCISES / "conftest.py").read_text()
    assert not (bundle / "solutions").exists()
    assert not [p for p in bundle.rglob("*.py") if any(BEGIN.match(line) for line in p.read_text().splitlines())]
    assert (bundle / "grader" / "pytest_plugin.py").is_file()
    assert {p.name for p in (bundle / "grader" / "catalog").glob("ex*.py")} == \
        {p.name for p in (ROOT / "grader" / "catalog").glob("ex*.py")}
    assert not any((bundle / "grader" / part).exists() for part in LEFT_OUT)
    assert not list(bundle.rglob("__pycache__"))
    assert (bundle / "constraints.txt").read_text() == (ROOT / "constraints.txt").read_text()
    assert 'testpaths = ["exercises"]' in (bundle / "pyproject.toml").read_text()


def test_readme_lists_the_points_of_every_exercise(bundle: Path):
    readme = (bundle / "README.md").read_text()
    assert "pytest exercises/" in readme and "-c constraints.txt" in readme
    for exercise in registry.all_exercises():
        row = next(line for line in readme.splitlines() if f"`exercises/{exercise.module}.py`" in line)
        assert row.endswith(f"| {exercise.max_points:g} |")
        for task in exercise.tasks:
            assert f"`{task.name}` ({task.max_points:g})" in row
    assert f"| **total** | | | **{MAX_POINTS:g}** |" in readme


def test_no_answer_anywhere_in_the_bundle(bundle: Path):
    assert [str(leak) for leak in find_leaks(bundle, SOLUTIONS)] == []


def test_a_published_formula_is_allowed_only_in_its_own_catalog_file(tmp_path: Path):
    formula = "def f(n, k, stride=1, padding=0, output_padding=0, dilation=1):\n" \
              "    return (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1\n"
    (tmp_path / "grader" / "catalog").mkdir(parents=True)
    (tmp_path / "grader" / "catalog" / "ex04_shapes.py").write_text(formula)
    assert find_leaks(tmp_path, SOLUTIONS) == []
    (tmp_path / "grader" / "elsewhere.py").write_text(formula)
    assert [leak.path.name for leak in find_leaks(tmp_path, SOLUTIONS)] == ["elsewhere.py"]


def test_leak_detection_sees_through_renaming_and_reformatting(tmp_path: Path):
    tree = ast.parse((SOLUTIONS / f"{EX01}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.name = f"helper_{node.name}"
            node.body[0] = ast.Expr(ast.Constant("a different docstring"))
    (tmp_path / "grader").mkdir()
    (tmp_path / "grader" / "helpers.py").write_text(ast.unparse(tree))  # no comments, new layout
    (tmp_path / "stub.py").write_text(make_stub((SOLUTIONS / f"{EX01}.py").read_text()))
    leaks = find_leaks(tmp_path, SOLUTIONS)
    assert [(str(leak.path), leak.function, leak.answer) for leak in leaks] == [
        ("grader/helpers.py", "helper_cust_conv2d", f"{EX01}.py: cust_conv2d"),
        ("grader/helpers.py", "helper_true_conv2d", f"{EX01}.py: true_conv2d"),
    ]


def test_build_release_refuses_a_bundle_with_an_answer_and_leaves_nothing(tmp_path: Path):
    body = (SOLUTIONS / f"{EX01}.py").read_text().split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    leaky = fake_root(tmp_path / "leaky", planted=f"def reference(X, K):\n{body}")
    out = tmp_path / "out" / "release"
    with pytest.raises(LeakError, match=r"grader/__init__.py:1: reference has the body of the answer "
                                        rf"{EX01}.py: cust_conv2d"):
        build_release(out, PIN, leaky)
    assert list((tmp_path / "out").iterdir()) == []

    written = build_release(out, PIN, fake_root(tmp_path / "clean"))
    assert out / "exercises" / f"{EX01}.py" in written and all(p.exists() for p in written)
    assert list((tmp_path / "out").iterdir()) == [out]
    with pytest.raises(FileExistsError):
        build_release(out, PIN, fake_root(tmp_path / "again"))


def test_pytest_in_the_bundle_runs_its_own_grader_and_scores_zero(bundle: Path):
    script = "import sys, pytest, grader.pytest_plugin as p; print(p.__file__); sys.exit(pytest.main(['exercises/']))"
    run = subprocess.run([sys.executable, "-c", script], cwd=bundle, env=clean_env(PYTHONPATH=str(bundle)),
                         capture_output=True, text=True, timeout=300, check=False)
    assert Path(run.stdout.splitlines()[0]) == bundle / "grader" / "pytest_plugin.py"
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(rf"^\s*total\s.*\s0/{MAX_POINTS:g}\s*$", run.stdout, re.MULTILINE), run.stdout[-3000:]
    assert " passed" not in run.stdout.splitlines()[-1]


def test_bundle_installs_as_a_package(bundle: Path, tmp_path: Path):
    source = shutil.copytree(bundle, tmp_path / "source")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "wheel"), str(source)], check=True, capture_output=True, timeout=300)
    [wheel] = (tmp_path / "wheel").glob("convgrade-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert f"grader/catalog/{EX01}.py" in names and "grader/pytest_plugin.py" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "convgrade = grader.cli:main" in entry_points and "convgrade = grader.pytest_plugin" in entry_points
    assert not [n for n in names if not n.startswith(("grader/", "convgrade-"))]


def workflow(bundle: Path) -> tuple[dict, list[dict]]:
    document = yaml.safe_load((bundle / WORKFLOW_PATH).read_text())
    return document, document["jobs"]["grade"]["steps"]


def test_workflow_grades_exercises_with_the_pinned_grader_only(bundle: Path):
    document, steps = workflow(bundle)
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads the key `on` as True
    assert "push" in triggers
    assert document["env"] == {"CONVGRADE_REPO": PIN.repo, "CONVGRADE_REF": PIN.ref}
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    student, pinned = checkouts
    assert student["with"]["path"] == STUDENT_DIR and "repository" not in student["with"]
    assert pinned["with"]["repository"] == "${{ env.CONVGRADE_REPO }}"
    assert pinned["with"]["ref"] == "${{ env.CONVGRADE_REF }}"
    assert pinned["with"]["path"] == GRADER_DIR
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == python_version()
    runs = [s for s in steps if "run" in s]
    installs = [s["run"] for s in runs if "pip install" in s["run"]]
    assert installs and all(shlex.split(cmd)[-1] == f"./{GRADER_DIR}" and f"-c {GRADER_DIR}/constraints.txt" in cmd
                            for cmd in installs)
    assert not any(STUDENT_DIR in s["run"] for s in runs)  # nothing of the student's runs or installs
    [grade] = [s for s in runs if "convgrade" in s["run"]]
    assert grade["run"] == GRADE_COMMAND and grade["working-directory"] == STUDENT_DIR
    assert runs.index(grade) > runs.index(next(s for s in runs if "pip install" in s["run"]))


def test_workflow_grade_command_grades_the_student_exercises(bundle: Path, tmp_path: Path, monkeypatch):
    from grader.cli import build_parser

    argv = shlex.split(os.path.expandvars(GRADE_COMMAND.replace("$RUNNER_TEMP", str(tmp_path))))
    args = build_parser().parse_args(argv[1:])
    assert args.format == ["github"] and args.out == tmp_path / "results.json"
    monkeypatch.chdir(shutil.copytree(bundle, tmp_path / STUDENT_DIR))
    [source] = discover(args.submissions)
    assert source.problem is None and f"{EX01}.py" in source.files


FLIPPED = '''\
import torch


def cust_conv2d(X, K):
    kh, kw = K.shape
    Y = torch.zeros(X.shape[0] - kh + 1, X.shape[1] - kw + 1, dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + kh, j:j + kw] * K.flip(0, 1)).sum()
    return Y


def true_conv2d(X, K):
    raise NotImplementedError("not implemented yet")
'''


@pytest.fixture(scope="module")
def flipped(tmp_path_factory) -> tuple[Path, dict]:
    """A student repository whose ex01 flips the kernel and leaves true_conv2d a stub, and the
    results document of grading its exercises/."""
    repo = tmp_path_factory.mktemp("student")
    (repo / "exercises").mkdir()
    (repo / "exercises" / f"{EX01}.py").write_text(FLIPPED)
    plan = Plan(Settings(profile="student", seed=1), Limits())
    return repo, results_document(grade_class(discover([str(repo / "exercises")]), plan, jobs=1), plan)


def test_github_output_summarises_points_and_annotates_the_failing_function(flipped, tmp_path: Path, monkeypatch,
                                                                            capsys):
    repo, document = flipped
    [record] = document["submissions"]
    ex01 = record["exercises"][EX01]
    checks = {c["name"]: c for c in ex01["checks"]}
    assert checks["cust_conv2d[matches_torch]"]["status"] == "failed"
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    monkeypatch.delenv("CONVGRADE_GITHUB_SOURCE", raising=False)

    out = write_github(document, tmp_path / "results.github")

    summary = (out / "summary.md").read_text()
    assert step_summary.read_text() == "earlier step\n" + summary
    assert f"## convgrade: {record['score']:g}/{MAX_POINTS:g} points" in summary
    assert f"| `{EX01}.py` | {registry.get(EX01).title} | failed | {ex01['score']:g}/10 |" in summary
    assert "| `ex04_shapes.py` | Size formulas | not submitted | 0/14 |" in summary
    assert checks["cust_conv2d[matches_torch]"]["message"] in summary  # the counterexample, whole
    assert "recognised mistake: kernel flipped" in summary
    assert "**Not implemented yet:** `true_conv2d`" in summary

    printed = capsys.readouterr().out.splitlines()
    assert (out / "annotations.txt").read_text().splitlines() == printed
    [annotation] = printed  # true_conv2d is unfinished, not wrong: no annotation
    def_line = FLIPPED.splitlines().index("def cust_conv2d(X, K):") + 1
    points = sum(c["points"] for n, c in checks.items() if n.startswith("cust_conv2d["))
    assert annotation.startswith(f"::error file=exercises/{EX01}.py,line={def_line},"
                                 f"title={EX01}%3A cust_conv2d ({points:g}/5 points)::[matches_torch] ")
    message = annotation.split("::", 2)[2]
    assert message.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%") == \
        f"[matches_torch] {checks['cust_conv2d[matches_torch]']['message']}"


def test_github_output_for_a_class_names_students_not_files(flipped, tmp_path: Path, monkeypatch):
    repo, document = flipped
    [record] = document["submissions"]
    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    two = {**document, "submissions": [{**record, "name": "ada"}, {**record, "name": "bob", "problem": "empty"}]}
    out = write_github(two, tmp_path / "class.github")
    lines = (out / "annotations.txt").read_text().splitlines()
    assert lines[0].startswith(f"::error title=ada%3A {EX01}%3A cust_conv2d (")
    assert lines[1:] == ["::error title=bob%3A not graded::empty"]
    summary = (out / "summary.md").read_text()
    assert "## convgrade: ada:" in summary and "> **Not graded:** empty" in summary


def test_github_summary_fences_messages_that_hold_backticks(flipped):
    _, document = flipped
    record = document["submissions"][0]
    check = record["exercises"][EX01]["checks"][0]
    tricky = {**record, "exercises": {EX01: {**record["exercises"][EX01],
                                             "checks": [{**check, "message": "use ```torch``` here"}]}}}
    summary = summary_markdown({**document, "submissions": [tricky]})
    assert "````text\nuse ```torch``` here\n````" in summary


def test_workflow_commands_escape_like_githubs_toolkit():
    assert workflow_command("error", "50% off\r\nnext", file="a,b.py", line=3, title="x: y") == \
        "::error file=a%2Cb.py,line=3,title=x%3A y::50%25 off%0D%0Anext"
    assert workflow_command("notice", "plain") == "::notice::plain"


def test_definition_lines_follow_the_last_binding():
    source = "import torch\nfrom other import f as g\n\ndef f():\n    pass\n\nclass C:\n    pass\nf = g\n"
    assert definition_lines(source) == {"torch": 1, "g": 2, "f": 9, "C": 7}
    assert definition_lines("def broken(:\n") == {}


def test_github_summary_calls_an_untouched_exercise_not_implemented(flipped):
    _, document = flipped
    record = document["submissions"][0]
    ex01 = record["exercises"][EX01]
    stubbed = [{**c, "status": "failed", "points": 0.0, "message": f"{c['name'].split('[')[0]}: not implemented yet"}
               for c in ex01["checks"]]
    untouched = {**record, "exercises": {EX01: {**ex01, "score": 0.0, "checks": stubbed}}}
    summary = summary_markdown({**document, "submissions": [untouched]})
    assert f"| `{EX01}.py` | {registry.get(EX01).title} | not implemented yet | 0/10 |" in summary
    assert "### Failing checks" not in summary
    assert "**Not implemented yet:** `cust_conv2d`, `true_conv2d`" in summary


# --- a release in Chinese ---------------------------------------------------------------------

ZH = translations("zh").gettext  # the Chinese catalog, as the release reads it


@pytest.fixture
def chinese():
    """Chinese as the current language (what ``convgrade release --lang zh`` sets), then back."""
    before = current_language()
    set_language("zh")
    yield
    set_language(before)


@pytest.fixture(scope="module")
def bundle_zh(tmp_path_factory) -> Path:
    """The project's release built in Chinese."""
    before = current_language()
    set_language("zh")
    try:
        folder = tmp_path_factory.mktemp("release-zh") / "bundle"
        build_release(folder, PIN)
    finally:
        set_language(before)
    return folder


def test_a_chinese_release_has_a_chinese_readme(bundle_zh: Path):
    text = (bundle_zh / "README.md").read_text(encoding="utf-8")
    for message in ("Convolution exercises", "Work and check", "How points work", "Feedback on every push"):
        assert ZH(message) != message and ZH(message) in text, message
    assert ZH("Open `exercises/`, replace each `raise NotImplementedError` with your code, and run") in text
    assert "Implement convolution" not in text and "pytest exercises/" in text  # prose translated, commands kept
    for exercise in registry.all_exercises():
        row = next(line for line in text.splitlines() if f"`exercises/{exercise.module}.py`" in line)
        assert ZH(exercise.title) in row and row.endswith(f"| {exercise.max_points:g} |")
    assert f"| **{ZH('total')}** | | | **{MAX_POINTS:g}** |" in text
    assert f"# {ZH(SETUP_COMMENT)}\n" in (bundle_zh / "scripts" / "setup").read_text(encoding="utf-8")


def test_a_chinese_release_grades_in_chinese_locally_and_in_ci(bundle_zh: Path):
    assert 'addopts = "-p no:cacheprovider --lang zh"' in (bundle_zh / "pyproject.toml").read_text()
    steps = workflow(bundle_zh)[1]
    [grade] = [s for s in steps if "convgrade" in s.get("run", "")]
    assert grade["env"] == {"CONVGRADE_LANG": "zh"} and grade["run"] == GRADE_COMMAND
    assert [s["name"] for s in steps] == [ZH(name) for name in STEPS.values()]
    text = (bundle_zh / WORKFLOW_PATH).read_text(encoding="utf-8")
    assert text.startswith("# " + ZH(HEADER).splitlines()[0])


def test_an_english_release_pins_english(bundle: Path):
    assert 'addopts = "-p no:cacheprovider --lang en"' in (bundle / "pyproject.toml").read_text()
    [grade] = [s for s in workflow(bundle)[1] if "convgrade" in s.get("run", "")]
    assert grade["env"] == {"CONVGRADE_LANG": "en"}


def test_pytest_in_a_chinese_bundle_speaks_chinese(bundle_zh: Path):
    script = "import sys, pytest; sys.exit(pytest.main(['exercises/', '-m', 'ex01', '-q']))"
    run = subprocess.run([sys.executable, "-c", script], cwd=bundle_zh, env=clean_env(PYTHONPATH=str(bundle_zh)),
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    stub = ZH("{name}: not implemented yet")
    assert stub != "{name}: not implemented yet", "the Chinese catalog lacks grader.run.target's stub message"
    assert stub.format(name="cust_conv2d") in run.stdout, run.stdout[-3000:]


def test_github_output_in_chinese(flipped, tmp_path: Path, monkeypatch, chinese):
    repo, document = flipped  # graded in English: a stub is recognised whatever language said it
    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    out = write_github(document, tmp_path / "results.github")
    summary = (out / "summary.md").read_text(encoding="utf-8")
    [record] = document["submissions"]
    points = f"{record['score']:g}/{MAX_POINTS:g}"
    assert "## " + ZH("{heading}: {points} points").format(heading="convgrade", points=points) in summary
    assert "| {} | {} | {} | {} |".format(*map(ZH, ("exercise", "title", "status", "points"))) in summary
    assert "### " + ZH("Failing checks") in summary
    assert ZH("**Not implemented yet:** {functions}").format(functions="`true_conv2d`") in summary
    assert f"| `{EX01}.py` | {ZH(registry.get(EX01).title)} |" in summary
    assert "Not implemented" not in summary and "Graded by" not in summary
    [annotation] = (out / "annotations.txt").read_text(encoding="utf-8").splitlines()
    title = ZH("{exercise}: {function} ({points} points)").split("{exercise}")[1].split("{function}")[0]
    assert f"title={EX01}{title.replace(':', '%3A')}cust_conv2d" in annotation


def test_a_stub_is_recognised_in_every_language(flipped):
    _, document = flipped
    record = document["submissions"][0]
    ex01 = record["exercises"][EX01]
    said = ZH("{name}: not implemented yet")
    stubbed = [{**c, "status": "failed", "points": 0.0, "message": said.format(name=c["name"].split("[")[0])}
               for c in ex01["checks"]]
    untouched = {**record, "exercises": {EX01: {**ex01, "score": 0.0, "checks": stubbed}}}
    summary = summary_markdown({**document, "submissions": [untouched]})  # graded in Chinese, shown in English
    assert f"| `{EX01}.py` | {registry.get(EX01).title} | not implemented yet | 0/10 |" in summary
    assert "**Not implemented yet:** `cust_conv2d`, `true_conv2d`" in summary
