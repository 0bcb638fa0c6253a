"""Shared helpers for our own tests: grade a submission folder, or a source string written into
one, through the same runner the front-ends use."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from grader.engine import registry
from grader.engine.outcome import CheckResult
from grader.engine.runner import Runner
from grader.engine.settings import Settings
from grader.run.target import InProcessTarget

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
TEST_SETTINGS = Settings(profile="student", seed=12345)  # fast and derandomized

os.environ["CONVGRADE_LANG"] = "en"  # our tests read English, whatever this machine's locale


def own_pid_namespace() -> list[str]:
    """The command prefix that runs a command as the init of a PID namespace of its own (``unshare``;
    with a user namespace where not root), so that ``kill(-1)`` or a killed ancestor inside it
    cannot reach the test runner; skips the test where this machine cannot."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is needed to contain kill(-1) in a PID namespace")
    prefix = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
    if os.geteuid() != 0:
        prefix[1:1] = ["--user", "--map-root-user"]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow a new PID namespace")
    return prefix


def fingerprint(path: Path) -> tuple:
    """A file's SHA-256, mode, modification time and extended attributes."""
    status = path.stat()
    return (hashlib.sha256(path.read_bytes()).hexdigest(), status.st_mode, status.st_mtime_ns,
            sorted(os.listxattr(path)))


def grade_folder(folder: Path, module: str, settings: Settings = TEST_SETTINGS) -> dict[str, CheckResult]:
    """Every check of one exercise on one folder, keyed ``"task[check]"``."""
    runner = Runner(InProcessTarget(folder), settings)
    return {f"{r.task}[{r.check}]": r for r in runner.run_exercise(registry.get(module))}


@pytest.fixture
def grade_source(tmp_path: Path):
    """``grade_source(module, source, **extra_files)``: write ``source`` as ``module.py`` (plus any
    sibling files) into a fresh folder and grade that exercise."""
    counter = [0]

    def grade(module: str, source: str, **extra: str) -> dict[str, CheckResult]:
        counter[0] += 1
        folder = tmp_path / f"submission{counter[0]}"
        folder.mkdir()
        (folder / f"{module}.py").write_text(textwrap.dedent(source))
        for name, text in extra.items():
            (folder / f"{name}.py").write_text(textwrap.dedent(text))
        return grade_folder(folder, module)

    return grade


def solution_source(module: str) -> str:
    """The model answer's source, to derive mutants from."""
    return (SOLUTIONS / f"{module}.py").read_text()


def failed(results: dict[str, CheckResult]) -> set[str]:
    return {k for k, r in results.items() if not r.passed}
