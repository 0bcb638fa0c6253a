"""Instructors' own exercises: the public authoring API, the example pack
(examples/packs/convgrade-conv1d, installed by scripts/setup) in every front-end, and course
files. Without a course file the course stays the built-in exercises."""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader import api, cli, stubs
from grader.course import CourseError, read
from grader.engine import registry
from grader.engine.exercise import Exercise, Mistake, Task
from grader.engine.runner import Runner
from grader.release.leaks import LeakError, verify
from grader.run.target import InProcessTarget
from grader.stubs import make_stub
from tests.conftest import ROOT, SOLUTIONS, TEST_SETTINGS
from tests.test_mistakes import InjectedTarget

PACK_ROOT = ROOT / "examples" / "packs" / "convgrade-conv1d"
PACK_SOLUTIONS = PACK_ROOT / "convgrade_conv1d" / "solutions"
CONV1D, SEPARABLE = "ex21_conv1d", "ex22_depthwise_separable"
PACK_MODULES = (CONV1D, SEPARABLE)
BUILTINS = tuple(f"{p.stem}" for p in sorted(SOLUTIONS.glob("ex[0-9][0-9]_*.py")))


def convgrade(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: int = 600) -> subprocess.CompletedProcess:
    """``convgrade ARGS`` in a fresh process (English, no course file from the environment)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONVGRADE_")}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env={**base, "CONVGRADE_LANG": "en", **(env or {})}, timeout=timeout)


@pytest.fixture
def course_reset():
    """Whatever course a test puts in force, the next test gets the built-ins again."""
    yield
    registry.use_course(None)


# ---------------------------------------------------------------- the public API

def catalog_files() -> list[Path]:
    builtin = sorted((ROOT / "grader" / "catalog").glob("ex*.py"))
    return [*builtin, *sorted((PACK_ROOT / "convgrade_conv1d").glob("ex*.py"))]


@pytest.mark.parametrize("path", catalog_files(), ids=lambda p: p.name)
def test_catalog_imports_nothing_the_public_api_does_not_export(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            assert not [a.name for a in node.names if a.name.split(".")[0] == "grader"], ast.unparse(node)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "grader":
            if node.module.startswith("grader.catalog."):
                continue  # a built-in's shared example, itself written with the API
            assert node.module == "grader.api", ast.unparse(node)
            assert {a.name for a in node.names} <= set(api.__all__), ast.unparse(node)


def test_api_exports_exist_and_versions_compare() -> None:
    assert all(hasattr(api, name) for name in api.__all__)
    assert api.compatible("1.0", "1.2") and api.compatible("1", "1.0")
    assert not api.compatible("1.3", "1.2") and not api.compatible("2.0", "1.2") and not api.compatible("0.9", "1.0")
    with pytest.raises(ValueError):
        api.compatible("one")


def test_a_pack_for_another_api_version_is_refused_in_one_line(tmp_path: Path) -> None:
    pack = api.Pack(name="future-pack", api="2.0", catalog=("future_pack.ex90_future",), solutions=tmp_path)
    with pytest.raises(registry.RegistryError) as refused:
        registry.load_pack(pack)
    assert str(refused.value) == ("pack future-pack needs convgrade's authoring API 2.0; this convgrade has "
                                  f"{api.API_VERSION}: upgrade one of them")
    assert "future-pack" not in [p.name for p in registry.packs()]


# ---------------------------------------------------------------- the example pack, in process

def test_pack_is_installed_and_changes_no_default() -> None:
    assert [p.name for p in registry.packs()] == ["convgrade-conv1d"]
    assert tuple(e.module for e in registry.all_exercises()) == BUILTINS  # the course without a course file
    assert {CONV1D, SEPARABLE} <= {e.module for e in registry.known()}
    assert registry.origin(CONV1D) == "convgrade-conv1d" and registry.origin(BUILTINS[0]) == registry.BUILTIN
    assert registry.solution_file(CONV1D) == PACK_SOLUTIONS / f"{CONV1D}.py"


@pytest.mark.parametrize("module", PACK_MODULES)
def test_pack_solution_passes_every_check_and_its_stub_none(module: str, tmp_path: Path) -> None:
    exercise = registry.get(module)
    results = list(Runner(InProcessTarget(PACK_SOLUTIONS), TEST_SETTINGS).run_exercise(exercise))
    assert [r.message for r in results if not r.passed] == []
    assert sum(r.points for r in results) == exercise.max_points > 0
    (tmp_path / f"{module}.py").write_text(make_stub(registry.solution_file(module).read_text()))
    stubbed = list(Runner(InProcessTarget(tmp_path), TEST_SETTINGS).run_exercise(exercise))
    assert all(not r.passed and "not implemented yet" in r.message for r in stubbed)


def pack_mistakes() -> list[tuple[Exercise, Task, Mistake]]:
    return [(e, t, m) for e in map(registry.get, PACK_MODULES) for t in e.tasks for m in t.mistakes]


def test_each_pack_task_has_error_cases_hints_and_three_mistakes() -> None:
    for module in PACK_MODULES:
        for task in registry.get(module).tasks:
            assert len(task.mistakes) >= 3 and task.error_cases and task.hint and task.calls and task.reference
            assert all(m.hint for m in task.mistakes)


@pytest.mark.parametrize("exercise,task,mistake", pack_mistakes(), ids=[m.name for _, _, m in pack_mistakes()])
def test_pack_mistake_is_failed_and_named(exercise: Exercise, task: Task, mistake: Mistake) -> None:
    target = InjectedTarget(exercise.module, task, mistake)
    target.base = InProcessTarget(PACK_SOLUTIONS)
    results = [Runner(target, TEST_SETTINGS).run_check(exercise, task, check) for check in task.checks]
    failed = [r for r in results if not r.passed]
    assert failed and mistake.name in {r.failure.mistake for r in failed}, [r.message for r in failed]


def test_release_leak_check_covers_pack_solutions(tmp_path: Path) -> None:
    answer = ast.get_source_segment(source := (PACK_SOLUTIONS / f"{CONV1D}.py").read_text(),
                                    next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)))
    (tmp_path / "helper.py").write_text(answer)
    with pytest.raises(LeakError, match=rf"helper.py:1: conv1d has the body of the answer {CONV1D}.py: conv1d"):
        verify(tmp_path, SOLUTIONS)


# ---------------------------------------------------------------- course files

def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


COURSE = f"""\
    [course]
    name = "CNNs, spring term"
    exercises = ["ex04_shapes", "ex01_cross_correlation", "ex09_receptive_field", "{CONV1D}"]
    profile = "student"
    seed = 7

    [limits]
    call_seconds = 5
    memory_mb = 1024

    [exercise.ex01_cross_correlation]
    weight = 2

    [exercise.{CONV1D}.checks]
    "conv1d[matches_torch]" = 10
    """


def test_course_file_selects_orders_and_weighs(tmp_path: Path, course_reset) -> None:
    course = read(write(tmp_path / "convgrade.toml", COURSE))
    assert (course.name, course.profile, course.seed, course.call_seconds, course.memory_mb) == (
        "CNNs, spring term", "student", 7, 5.0, 1024)
    assert course.sha256 == hashlib.sha256((tmp_path / "convgrade.toml").read_bytes()).hexdigest()
    builtin = {e.module: e for e in registry.known()}
    registry.use_course(course)
    chosen = registry.all_exercises()
    assert [e.module for e in chosen] == ["ex04_shapes", "ex01_cross_correlation", "ex09_receptive_field", CONV1D]
    assert registry.get("ex01_cross_correlation").max_points == 2 * builtin["ex01_cross_correlation"].max_points
    assert registry.get("ex04_shapes").max_points == builtin["ex04_shapes"].max_points
    conv1d = registry.get(CONV1D).task("conv1d")
    assert [c.points for c in conv1d.checks] == [10, *(c.points for c in builtin[CONV1D].task("conv1d").checks[1:])]
    registry.use_course(None)
    assert tuple(e.module for e in registry.all_exercises()) == BUILTINS


@pytest.mark.parametrize("text,problem", [
    ("[course]\nexercise = []\n", "unknown key exercise in [course]; known: exercises, name, profile, seed"),
    ('[course]\nexercises = ["ex01_cross_correlation", "ex01_cross_correlation"]\n',
     "course.exercises lists ex01_cross_correlation twice"),
    ('[course]\nprofile = "exam"\n', "course.profile must be one of grading, student"),
    ('[course]\nexercises = ["ex01_cross_correlation"]\n[exercise.ex04_shapes]\nweight = 2\n',
     "[exercise.ex04_shapes]: ex04_shapes is not in course.exercises"),
    ("[exercise.ex04_shapes]\nweight = -1\n", "exercise.ex04_shapes.weight must be positive"),
    ("[limits]\ncall_seconds = 0\n", "limits.call_seconds must be positive"),
    ("[course\n", "not a TOML file: "),
])
def test_course_file_mistakes_are_one_line(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "convgrade.toml", text)
    with pytest.raises(CourseError) as refused:
        read(path)
    assert str(refused.value).startswith(f"{path}: {problem}") and "\n" not in str(refused.value)


def test_course_naming_unknown_exercises_or_checks_is_refused(tmp_path: Path, course_reset) -> None:
    unknown = read(write(tmp_path / "a.toml", '[course]\nexercises = ["ex01_cross_correlation", "ex99_nothing"]\n'))
    with pytest.raises(CourseError, match="no exercise ex99_nothing; known: ex01_cross_correlation, "):
        registry.use_course(unknown)
    check = read(write(tmp_path / "b.toml", '[exercise.ex01_cross_correlation.checks]\n"cust_conv2d[nope]" = 1\n'))
    with pytest.raises(CourseError, match=r"ex01_cross_correlation has no check cust_conv2d\[nope\]"):
        registry.use_course(check)


# ---------------------------------------------------------------- every front-end, in fresh processes

@pytest.mark.slow
def test_course_gives_its_exercises_and_points_in_every_output(tmp_path: Path) -> None:
    (tmp_path / "course").mkdir()
    course = write(tmp_path / "course" / "convgrade.toml", COURSE)
    student = tmp_path / "class" / "sam"
    student.mkdir(parents=True)
    (student / "ex01_cross_correlation.py").write_text((SOLUTIONS / "ex01_cross_correlation.py").read_text())
    (student / f"{CONV1D}.py").write_text((PACK_SOLUTIONS / f"{CONV1D}.py").read_text())
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "results.json"
    done = convgrade("grade", str(tmp_path / "class"), "--out", str(out), "--format", "json,csv,gradescope,html",
                     "--jobs", "2", cwd=tmp_path / "course")  # the course file found in the current folder
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    modules = ["ex04_shapes", "ex01_cross_correlation", "ex09_receptive_field", CONV1D]
    builtin = {e.module: e.max_points for e in registry.known()}
    conv1d_max = builtin[CONV1D] - registry.get(CONV1D).task("conv1d").checks[0].points + 10
    expected = {"ex04_shapes": builtin["ex04_shapes"], "ex01_cross_correlation": 2 * builtin["ex01_cross_correlation"],
                "ex09_receptive_field": builtin["ex09_receptive_field"], CONV1D: conv1d_max}
    assert document["course"]["name"] == "CNNs, spring term"
    assert Path(document["course"]["file"]).resolve() == course.resolve()
    assert document["course"]["sha256"] == hashlib.sha256(course.read_bytes()).hexdigest()
    assert (document["profile"], document["seed"], document["limits"]["call_seconds"],
            document["limits"]["memory_mb"]) == ("student", 7, 5.0, 1024)
    (sam,) = document["submissions"]
    assert list(sam["exercises"]) == modules
    assert {m: e["max_score"] for m, e in sam["exercises"].items()} == expected
    assert sam["exercises"][CONV1D]["score"] == conv1d_max and sam["exercises"][CONV1D]["status"] == "passed"
    assert sam["exercises"]["ex01_cross_correlation"]["score"] == expected["ex01_cross_correlation"]
    assert sam["max_score"] == sum(expected.values())
    rows = list(csv.reader((out.parent / "results.csv").open()))
    assert rows[0] == ["name", *modules, "score", "max_score"]
    assert rows[1][-1] == f"{sum(expected.values()):g}"
    gradescope = json.loads((out.parent / "results.gradescope" / "sam.json").read_text())  # a file per submission
    per_module: dict[str, float] = {}
    for test in gradescope["tests"]:
        module = test["name"].split(":")[0]
        per_module[module] = per_module.get(module, 0) + test["max_score"]
    assert per_module == expected and list(per_module) == modules
    page = "".join(p.read_text() for p in (out.parent / "results.feedback").rglob("*.html"))
    assert all(m in page for m in modules) and "ex06_conv2d" not in page and "conv1d[matches_torch]" in page
    reported = convgrade("report", str(out), "--html", str(tmp_path / "report.html"), cwd=tmp_path / "course")
    assert reported.returncode == 0, reported.stderr
    assert CONV1D in (tmp_path / "report.html").read_text()

    made = convgrade("nbgrader", str(tmp_path / "nbgrader"), "--course", str(course))
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in (tmp_path / "nbgrader" / "source").iterdir()) == sorted(modules)
    notebook = json.loads(next((tmp_path / "nbgrader" / "source" / CONV1D).glob("*.ipynb")).read_text())
    points = sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in notebook["cells"])
    assert points == conv1d_max


MUTANTS = {  # a named mistake of the pack -> (module, the solution's line, the mistaken line)
    "kernel flipped (true convolution instead of cross-correlation)":
        (CONV1D, "weight.reshape(groups,", "weight.flip(-1).reshape(groups,"),
    "stride ignored": (CONV1D, "padded.unfold(-1, total + 1, stride)", "padded.unfold(-1, total + 1, 1)"),
    "padding on one side only": (CONV1D, "before = after = padding", "before, after = 2 * padding, 0"),
    "groups take interleaved channels":
        (CONV1D, "windows.reshape(n, groups, per_group, windows.shape[-2], k)",
         "windows.reshape(n, per_group, groups, windows.shape[-2], k).transpose(1, 2)"),
    "depthwise step mixes the channels (groups=1)": (SEPARABLE, '"nchwab,cab->nchw"', '"nihwab,cab->nchw"'),
    "stride applied in both steps":
        (SEPARABLE, 'pointwise_weight[:, :, 0, 0])', 'pointwise_weight[:, :, 0, 0])[..., ::sh, ::sw]'),
    "bias ignored": (SEPARABLE, "out = out + bias[:, None, None]", "out = out"),
}


@pytest.mark.slow
def test_convgrade_grade_scores_pack_solutions_and_names_each_mistake(tmp_path: Path) -> None:
    write(tmp_path / "convgrade.toml", f'[course]\nexercises = ["{CONV1D}", "{SEPARABLE}"]\n')
    (tmp_path / "class" / "model").mkdir(parents=True)
    for module in PACK_MODULES:
        (tmp_path / "class" / "model" / f"{module}.py").write_text((PACK_SOLUTIONS / f"{module}.py").read_text())
    for number, (name, (module, right, wrong)) in enumerate(MUTANTS.items()):
        source = (PACK_SOLUTIONS / f"{module}.py").read_text()
        assert right in source, right
        (tmp_path / "class" / f"mutant{number}").mkdir()
        (tmp_path / "class" / f"mutant{number}" / f"{module}.py").write_text(source.replace(right, wrong))
    (tmp_path / "class" / "thief").mkdir()
    (tmp_path / "class" / "thief" / f"{CONV1D}.py").write_text(
        f"from convgrade_conv1d.solutions.{CONV1D} import conv1d  # the pack's model answer\n")
    done = convgrade("grade", "class", "--out", "r.json", "--jobs", "2", "--profile", "student", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = {r["name"]: r for r in json.loads((tmp_path / "r.json").read_text())["submissions"]}
    model = records["model"]
    assert model["score"] == model["max_score"] == sum(registry.get(m).max_points for m in PACK_MODULES)
    for number, (name, (module, _right, _wrong)) in enumerate(MUTANTS.items()):
        exercise = records[f"mutant{number}"]["exercises"][module]
        assert exercise["status"] == "failed" and exercise["score"] < exercise["max_score"], (name, exercise)
        named = {c.get("mistake") for c in exercise["checks"]}
        assert name in named, (name, [c["message"] for c in exercise["checks"]])
    thief = records["thief"]["exercises"][CONV1D]
    assert thief["score"] == 0
    assert "cannot be imported from a submission" in json.dumps(thief), thief


@pytest.mark.slow
def test_pytest_exercises_lists_and_grades_the_pack_checks(tmp_path: Path) -> None:
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "conftest.py").write_text((ROOT / "exercises" / "conftest.py").read_text())
    (folder / f"{CONV1D}.py").write_text((PACK_SOLUTIONS / f"{CONV1D}.py").read_text())
    (folder / f"{SEPARABLE}.py").write_text(make_stub((PACK_SOLUTIONS / f"{SEPARABLE}.py").read_text()))
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONVGRADE_")}
    done = subprocess.run([sys.executable, "-m", "pytest", "exercises/", "-v", "-p", "no:cacheprovider"],
                          capture_output=True, text=True, cwd=tmp_path, env={**base, "CONVGRADE_LANG": "en"},
                          timeout=600)
    for check in registry.get(CONV1D).task("conv1d").checks:
        assert f"{CONV1D}.py::conv1d[{check.name}] PASSED" in done.stdout, done.stdout
    for check in registry.get(SEPARABLE).task("depthwise_separable_conv2d").checks:
        assert f"{SEPARABLE}.py::depthwise_separable_conv2d[{check.name}] FAILED" in done.stdout
    assert "not implemented yet" in done.stdout
    marked = subprocess.run([sys.executable, "-m", "pytest", "exercises/", "-q", "-m", "ex21", "-p",
                             "no:cacheprovider"], capture_output=True, text=True, cwd=tmp_path,
                            env={**base, "CONVGRADE_LANG": "en"}, timeout=600)
    assert marked.returncode == 0 and "5 passed" in marked.stdout, marked.stdout
    write(tmp_path / "convgrade.toml", f'[course]\nexercises = ["{SEPARABLE}"]\n')  # the rootdir's course file
    chosen = subprocess.run([sys.executable, "-m", "pytest", "exercises/", "--collect-only", "-q", "-p",
                             "no:cacheprovider"], capture_output=True, text=True, cwd=tmp_path,
                            env={**base, "CONVGRADE_LANG": "en"}, timeout=600)
    assert SEPARABLE in chosen.stdout and CONV1D not in chosen.stdout, chosen.stdout


def fake_pack(site: Path, module: str) -> None:
    """A distribution on ``site`` whose pack registers ``module`` (with one trivial check)."""
    (site / "clash_pack").mkdir(parents=True)
    (site / "clash_pack" / "__init__.py").write_text(textwrap.dedent(f"""\
        from pathlib import Path
        from grader.api import Pack
        PACK = Pack(name="clash-pack", api="1.0", catalog=("clash_pack.catalog",), solutions=Path(__file__).parent)
        """))
    (site / "clash_pack" / "catalog.py").write_text(textwrap.dedent(f"""\
        from grader.api import Check, Exercise, Task, register
        register(Exercise(module="{module}", title="clash", tasks=(
            Task(name="anything", summary="s", forbidden=None,
                 checks=(Check("present", "d", 1, lambda task, ctx: None),)),)))
        """))
    info = site / "clash_pack-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: clash-pack\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[convgrade.exercises]\nclash = clash_pack:PACK\n")


@pytest.mark.slow
@pytest.mark.parametrize("module,clash", [
    ("ex01_cross_correlation", "ex01_cross_correlation of pack clash-pack clashes with ex01_cross_correlation of the "
                               "built-in exercises"),
    ("ex21_mine", f"{CONV1D} of pack convgrade-conv1d clashes with ex21_mine of pack clash-pack"),  # packs load by name
])
def test_a_clashing_name_is_refused_at_start_up_in_one_line(tmp_path: Path, module: str, clash: str) -> None:
    fake_pack(tmp_path / "site", module)
    done = convgrade("grade", str(ROOT / "examples" / "class"), env={"PYTHONPATH": str(tmp_path / "site")})
    assert done.returncode == 2
    assert done.stderr == f"convgrade: exercise {clash}: each exercise needs its own exNN number\n"


@pytest.mark.generated
def test_example_pack_stubs_are_generated_from_its_solutions() -> None:
    assert stubs.drifted(PACK_ROOT, pack=True) == []
    assert sorted(p.name for p in (PACK_ROOT / "exercises").glob("ex*.py")) == [f"{m}.py" for m in PACK_MODULES]


@pytest.mark.slow
def test_convgrade_new_writes_a_pack_that_passes_its_own_test(tmp_path: Path) -> None:
    done = convgrade("new", "ex23_moving_sum", "--into", str(tmp_path))
    assert done.returncode == 0, done.stderr
    root = tmp_path / "convgrade-ex23-moving-sum"
    assert f"pytest {root}/tests" in done.stdout and "convgrade.toml" in done.stdout
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "convgrade_ex23_moving_sum/__init__.py", "convgrade_ex23_moving_sum/ex23_moving_sum.py",
        "convgrade_ex23_moving_sum/solutions/ex23_moving_sum.py", "exercises/ex23_moving_sum.py", "pyproject.toml",
        "tests/test_ex23_moving_sum.py"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONVGRADE_")}
    tested = subprocess.run([sys.executable, "-m", "pytest", str(root / "tests"), "-q", "-p", "no:cacheprovider"],
                            capture_output=True, text=True, cwd=tmp_path, env=base, timeout=600)
    assert tested.returncode == 0 and "3 passed" in tested.stdout, tested.stdout
    catalog = root / "convgrade_ex23_moving_sum" / "ex23_moving_sum.py"
    catalog.write_text(catalog.read_text().replace('N_("one window too few")', 'N_("renamed")'))
    broken = subprocess.run([sys.executable, "-m", "pytest", str(root / "tests"), "-q", "-p", "no:cacheprovider"],
                            capture_output=True, text=True, cwd=tmp_path, env=base, timeout=600)
    assert broken.returncode == 1 and "1 failed, 2 passed" in broken.stdout, broken.stdout  # the test has teeth


@pytest.mark.parametrize("module,problem", [("bad", "bad must look like ex23_batch_norm"),
                                            ("ex01_mine", "ex01 is taken by ex01_cross_correlation")])
def test_convgrade_new_refuses_bad_or_taken_names(tmp_path: Path, module: str, problem: str, capsys) -> None:
    assert cli.main(["new", module, "--into", str(tmp_path)]) == 2
    assert problem in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_pack_records_speak_chinese_where_the_pack_ships_a_catalog() -> None:
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    from grader.i18n import _, set_language

    messages = [m for _f, _l, m, _c, _x in extract_from_dir(
        PACK_ROOT / "convgrade_conv1d", method_map=[("**/solutions/**.py", "ignore"), ("**.py", "python")],
        keywords=DEFAULT_KEYWORDS)]
    assert len(messages) > 30
    try:
        set_language("zh")
        untranslated = [m for m in messages if _(m) == m]
        assert _(registry.get(CONV1D).title) == "手写一维卷积"
    finally:
        set_language("en")
    assert untranslated == []


# ---------------------------------------------------------------- release and Gradescope with a course

@pytest.fixture
def course_with_pack(tmp_path: Path, course_reset):
    """The course of :data:`COURSE` in force (three built-ins and the pack's ex21, one override)."""
    registry.use_course(read(write(tmp_path / "convgrade.toml", COURSE)))
    return tmp_path / "convgrade.toml"


def test_release_of_a_course_carries_its_stubs_course_file_and_packs_without_answers(
        tmp_path: Path, course_with_pack: Path) -> None:
    from grader.release.bundle import build_release
    from tests.test_release import PIN

    bundle = tmp_path / "release"
    build_release(bundle, PIN)
    modules = [e.module for e in registry.all_exercises()]
    assert sorted(p.stem for p in (bundle / "exercises").glob("ex*.py")) == sorted(modules)
    stub = make_stub((PACK_SOLUTIONS / f"{CONV1D}.py").read_text())
    assert (bundle / "exercises" / f"{CONV1D}.py").read_text() == stub
    assert (bundle / "convgrade.toml").read_bytes() == course_with_pack.read_bytes()
    pack = bundle / "packs" / "convgrade-conv1d"
    assert (pack / "pyproject.toml").is_file() and (pack / "convgrade_conv1d" / f"{CONV1D}.py").is_file()
    assert not (pack / "convgrade_conv1d" / "solutions").exists()
    assert (pack / "convgrade_conv1d" / "locale" / "zh_CN" / "LC_MESSAGES" / "convgrade_conv1d.po").is_file()
    assert "-m pip install --no-deps ./packs/convgrade-conv1d" in (bundle / "scripts" / "setup").read_text()
    readme = (bundle / "README.md").read_text()
    assert f"| `exercises/{CONV1D}.py` |" in readme and "ex06_conv2d" not in readme
    assert f"{registry.get(CONV1D).max_points:g} |" in readme
    workflow = (bundle / ".github" / "workflows" / "grade.yml").read_text()
    assert "pip install --no-deps ./student/packs/convgrade-conv1d" in workflow


@pytest.mark.slow
def test_gradescope_autograder_of_a_course_grades_the_pack_exercise(tmp_path: Path, course_with_pack: Path) -> None:
    from grader.release.gradescope import build_autograder
    from tests.test_gradescope import run_autograder

    autograder = build_autograder(tmp_path / "zip")
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / f"{CONV1D}.py").write_text((PACK_SOLUTIONS / f"{CONV1D}.py").read_text())
    run = run_autograder(autograder, root)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    tests = json.loads((root / "results" / "results.json").read_text())["tests"]
    modules = [e.module for e in registry.all_exercises()]
    assert list(dict.fromkeys(t["name"].split(":")[0] for t in tests)) == modules
    conv1d = [t for t in tests if t["name"].startswith(f"{CONV1D}: ")]
    assert sum(t["score"] for t in conv1d) == sum(t["max_score"] for t in conv1d) == registry.get(CONV1D).max_points


def test_an_exercise_registered_outside_any_pack_joins_no_default_course(tmp_path: Path) -> None:
    fake_pack(tmp_path, "ex88_direct")
    shutil.rmtree(tmp_path / "clash_pack-0.1.dist-info")  # no entry point: a module imported directly
    script = ("import clash_pack.catalog; from grader.engine import registry; "
              "print(registry.origin('ex88_direct'), 'ex88_direct' in [e.module for e in registry.all_exercises()])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": ""}, timeout=300)
    assert done.stdout.split() == ["clash_pack.catalog", "False"], done.stderr


@pytest.mark.slow
def test_grading_on_ray_scores_the_pack_exercise_of_a_course(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    write(tmp_path / "convgrade.toml", f'[course]\nexercises = ["ex04_shapes", "{CONV1D}"]\n'
                                       f'[exercise.{CONV1D}]\nweight = 3\n')
    (tmp_path / "class" / "model").mkdir(parents=True)
    (tmp_path / "class" / "model" / f"{CONV1D}.py").write_text((PACK_SOLUTIONS / f"{CONV1D}.py").read_text())
    done = convgrade("grade", "class", "--executor", "ray", "--ray-address", "local", "--profile", "student",
                     "--out", "r.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (model,) = json.loads((tmp_path / "r.json").read_text())["submissions"]
    assert list(model["exercises"]) == ["ex04_shapes", CONV1D]
    conv1d = model["exercises"][CONV1D]
    assert conv1d["score"] == conv1d["max_score"] == 3 * registry.get(CONV1D).max_points


def test_options_then_environment_then_course_file_choose_profile_and_seed(tmp_path: Path, monkeypatch) -> None:
    from grader.course import settings_defaults

    course = read(write(tmp_path / "convgrade.toml", '[course]\nprofile = "grading"\nseed = 5\n'))
    monkeypatch.delenv("CONVGRADE_PROFILE", raising=False)
    monkeypatch.delenv("CONVGRADE_SEED", raising=False)
    assert settings_defaults(course, None, None) == ("grading", 5)
    assert settings_defaults(course, "student", 9) == ("student", 9)
    assert settings_defaults(None, None, None) == (None, None)
    monkeypatch.setenv("CONVGRADE_SEED", "3")
    assert settings_defaults(course, None, None) == ("grading", None)  # Settings.make reads the variable


def test_grade_warns_when_a_pack_is_installed_where_workers_read(tmp_path: Path) -> None:
    from grader.packs import answers_exposed
    from grader.run import confine

    site = tmp_path / "site-packages"
    inside = api.Pack(name="in-site", api="1.0", catalog=("x.y",), solutions=site / "x" / "solutions")
    outside = api.Pack(name="editable", api="1.0", catalog=("z.w",), solutions=tmp_path / "repo" / "z" / "solutions")
    assert answers_exposed([inside, outside], [str(site)]) == ["in-site"]
    assert answers_exposed(registry.packs(), confine.runtime_readable()) == []  # scripts/setup: editable


def test_strict_confinement_refuses_a_pack_whose_answers_workers_can_read(monkeypatch, capsys) -> None:
    from grader.commands import grade

    monkeypatch.setattr(grade, "answers_exposed", lambda packs, readable: ["in-site"])
    assert cli.main(["grade", str(SOLUTIONS), "--confinement", "strict"]) == 2
    error = capsys.readouterr().err
    assert "--confinement strict: the model answers of in-site lie in site-packages" in error
    assert len(error.strip().splitlines()) == 1


# ---------------------------------------------------------------- similarity with a pack's answers

INDEPENDENT_CONV1D = '''import torch


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x = input if input.dim() == 3 else input.unsqueeze(0)
    pad = padding if isinstance(padding, int) else padding[0]
    x = torch.cat([x.new_zeros(*x.shape[:2], pad), x, x.new_zeros(*x.shape[:2], pad)], dim=2)
    cols = [x[:, :, t:t + dilation * (weight.shape[2] - 1) + 1:dilation]
            for t in range(0, x.shape[2] - dilation * (weight.shape[2] - 1), stride)]
    y = torch.stack([(c.unsqueeze(1) * weight.unsqueeze(0)).sum(dim=(2, 3)) for c in cols], dim=2)
    if bias is not None:
        y = y + bias.view(1, -1, 1)
    return y if input.dim() == 3 else y[0]
'''


def test_a_copy_of_a_pack_answer_is_compared_with_the_pack_model_answer(tmp_path: Path, course_with_pack) -> None:
    """The similarity report takes a course's pack exercises' model answers from the pack (the
    built-ins' from solutions/): a renamed copy of ex21's answer matches it, an independent
    answer does not."""
    from grader.run.submissions import discover
    from grader.similarity import REFERENCE, compare_class

    answer = (registry.solution_file(CONV1D)).read_text()
    renamed = answer.replace("windows", "frames").replace("padded", "filled").replace("before", "left")
    for name, source in {"eve": renamed, "kai": INDEPENDENT_CONV1D}.items():
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / f"{CONV1D}.py").write_text(source)
    report = compare_class(discover([str(tmp_path / "class")]), SOLUTIONS)
    ex21 = report.exercise(CONV1D)
    assert set(ex21.pieces) == {"eve", "kai", REFERENCE}
    score = {frozenset((p.first, p.second)): p.score for p in ex21.top}
    assert score[frozenset(("eve", REFERENCE))] > 0.95
    assert score[frozenset(("kai", REFERENCE))] < 0.5
