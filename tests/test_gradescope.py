"""The Gradescope autograder: the zip's layout, its scripts, and a run against a local
autograder tree that writes a valid results.json with the right scores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader.engine import registry
from grader.i18n import current_language, set_language, translations
from grader.release.autograder import NOT_FOUND, locate
from grader.release.gradescope import ZIP_NAME, build_autograder, write_autograder, zip_tree
from grader.release.leaks import LeakError
from tests.conftest import ROOT, SOLUTIONS
from tests.test_release import EX01, MAX_POINTS, clean_env, fake_root

EX09 = "ex09_receptive_field"


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    """The project's autograder zip, unverified (see test_release for the answer scan)."""
    folder = tmp_path_factory.mktemp("gradescope")
    with tempfile.TemporaryDirectory() as staging:
        write_autograder(ROOT, Path(staging))
        return zip_tree(Path(staging), folder / ZIP_NAME)


def test_zip_holds_the_scripts_and_the_grader_and_no_solutions(autograder_zip: Path, tmp_path: Path):
    archive = zipfile.ZipFile(autograder_zip)
    modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not modes["pyproject.toml"] & 0o111
    assert f"grader/catalog/{EX01}.py" in modes and "grader/release/autograder.py" in modes
    assert not [n for n in modes if n.startswith(("solutions/", "exercises/", "tests/")) or "__pycache__" in n]
    assert archive.read("constraints.txt") == (ROOT / "constraints.txt").read_bytes()
    archive.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(tmp_path / script)], check=True)
    setup = (tmp_path / "setup.sh").read_text()
    assert '"$ROOT/venv/bin/python" -m pip install -c constraints.txt' in setup and setup.rstrip().endswith(" .")


def test_zip_is_reproducible(autograder_zip: Path, tmp_path: Path):
    with tempfile.TemporaryDirectory() as staging:
        write_autograder(ROOT, Path(staging))
        again = zip_tree(Path(staging), tmp_path / ZIP_NAME)
    assert again.read_bytes() == autograder_zip.read_bytes()


def test_build_autograder_refuses_an_answer(tmp_path: Path):
    body = (SOLUTIONS / f"{EX01}.py").read_text().split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    with pytest.raises(LeakError, match=f"the answer {EX01}.py: cust_conv2d"):
        build_autograder(tmp_path / "out", fake_root(tmp_path / "leaky", planted=f"def ref(X, K):\n{body}"))
    assert not (tmp_path / "out").exists()
    assert build_autograder(tmp_path / "out", fake_root(tmp_path / "clean")) == tmp_path / "out" / ZIP_NAME


def test_locate_finds_files_a_repository_or_one_notebook(tmp_path: Path):
    upload = tmp_path / "files"
    upload.mkdir()
    (upload / f"{EX01}.py").write_text("")
    assert locate(upload) == upload
    repo = tmp_path / "repo"
    for folder in (repo / ".git" / "hooks", repo / "exercises", repo / "exercises" / "old"):
        folder.mkdir(parents=True)
    (repo / ".git" / "hooks" / f"{EX01}.py").write_text("")
    (repo / "exercises" / f"{EX09}.py").write_text("")
    (repo / "exercises" / "old" / f"{EX01}.py").write_text("")
    assert locate(repo) == repo / "exercises"
    notebook = tmp_path / "notebook"
    (notebook / ".ipynb_checkpoints").mkdir(parents=True)
    (notebook / "work.ipynb").write_text("{}")
    (notebook / ".ipynb_checkpoints" / "work-checkpoint.ipynb").write_text("{}")
    assert locate(notebook) == notebook / "work.ipynb"
    (notebook / "other.ipynb").write_text("{}")
    assert locate(notebook) is None


def run_autograder(autograder_zip: Path, root: Path) -> subprocess.CompletedProcess:
    zipfile.ZipFile(autograder_zip).extractall(root / "source")
    env = clean_env(CONVGRADE_AUTOGRADER_ROOT=str(root), CONVGRADE_PYTHON=sys.executable,
                    CONVGRADE_PROFILE="student", CONVGRADE_SEED="1")
    return subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=tempfile.gettempdir(),
                          capture_output=True, text=True, timeout=300, check=False)


def test_run_autograder_writes_gradescope_results(autograder_zip: Path, tmp_path: Path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{EX01}.py", root / "submission")
    solution = (SOLUTIONS / f"{EX09}.py").read_text()
    buggy = solution.replace("span = dilation * (kernel - 1) + 1", "span = kernel")  # forgets dilation
    assert buggy != solution
    (root / "submission" / f"{EX09}.py").write_text(buggy)

    run = run_autograder(autograder_zip, root)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())

    tests = results["tests"]
    assert all(set(t) >= {"name", "score", "max_score", "output", "visibility"} for t in tests)
    assert {t["visibility"] for t in tests} == {"visible"} and results["visibility"] == "visible"
    assert sum(t["max_score"] for t in tests) == MAX_POINTS
    assert results["score"] == sum(t["score"] for t in tests)
    by_module = {m: [t for t in tests if t["name"].startswith(f"{m}: ")] for m in (EX01, EX09, "ex04_shapes")}
    assert all(t["score"] == t["max_score"] for t in by_module[EX01])
    assert sum(t["max_score"] for t in by_module[EX01]) == registry.get(EX01).max_points
    wrong = [t for t in by_module[EX09] if t["score"] < t["max_score"]]
    assert wrong and all(t["score"] == 0 and t["output"].startswith("receptive_field: ") for t in wrong)
    assert len(wrong) < len(by_module[EX09])  # the buggy function still earns its other checks
    assert all(t["score"] == 0 and "was not submitted" in t["output"] for t in by_module["ex04_shapes"])
    expected = registry.get(EX01).max_points + registry.get(EX09).max_points - sum(t["max_score"] for t in wrong)
    assert results["score"] == expected and results["output"] == f"{expected:g}/{MAX_POINTS:g} points"


# --- an autograder in Chinese -----------------------------------------------------------------

ZH = translations("zh").gettext  # the Chinese catalog, as the autograder reads it


@pytest.fixture(scope="module")
def autograder_zip_zh(tmp_path_factory) -> Path:
    """The autograder zip built in Chinese (what ``convgrade gradescope --lang zh`` writes)."""
    folder = tmp_path_factory.mktemp("gradescope-zh")
    before = current_language()
    set_language("zh")
    try:
        with tempfile.TemporaryDirectory() as staging:
            write_autograder(ROOT, Path(staging))
            return zip_tree(Path(staging), folder / ZIP_NAME)
    finally:
        set_language(before)


def test_the_zip_records_its_language(autograder_zip: Path, autograder_zip_zh: Path):
    for archive, language in ((autograder_zip, "en"), (autograder_zip_zh, "zh")):
        script = zipfile.ZipFile(archive).read("run_autograder").decode()
        assert f"\nexport CONVGRADE_LANG={language}\n" in script


def test_a_chinese_autograder_writes_chinese_results(autograder_zip_zh: Path, tmp_path: Path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{EX01}.py", root / "submission")
    run = run_autograder(autograder_zip_zh, root)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    points = registry.get(EX01).max_points
    said = ZH("{score}/{max_score} points")
    assert said != "{score}/{max_score} points"
    assert results["output"] == said.format(score=f"{points:g}", max_score=f"{MAX_POINTS:g}")
    ex01 = [t for t in results["tests"] if t["name"].startswith(f"{EX01}: ")]
    assert ex01 and all(t["output"] == ZH("passed") for t in ex01)

    empty = tmp_path / "empty"
    (empty / "submission").mkdir(parents=True)
    run = run_autograder(autograder_zip_zh, empty)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((empty / "results" / "results.json").read_text(encoding="utf-8"))
    assert ZH(NOT_FOUND) != NOT_FOUND and results["output"] == ZH(NOT_FOUND) and results["score"] == 0
