"""The installable grader that every release artefact carries: ``grader/`` as source, a
``pyproject.toml`` derived from the project's, and the project's pinned ``constraints.txt``.

Each step writes into a destination folder and returns the paths it wrote.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from grader.i18n import _, current_language

TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
"""Where pip finds torch's CPU build (PyPI's Linux wheel is the much larger CUDA build)."""

LEFT_OUT = ("ledger/listings",)
"""Parts of ``grader/`` no release carries: the course notes' code listings (instructor-side
data of ``convgrade spec``; one of them is an exercise's answer)."""

PYPROJECT_EDITS = (('testpaths = ["tests"]', 'testpaths = ["exercises"]'),)
"""(project text, release text): a release has no tests/, its pytest runs exercises/."""

PYTEST_OPTIONS = 'addopts = "-p no:cacheprovider"'
"""The project's pytest options, to which a release adds its language (``--lang``)."""


def pyproject_edits(language: str) -> tuple[tuple[str, str], ...]:
    """:data:`PYPROJECT_EDITS`, and the release's pytest giving feedback in ``language``."""
    return (*PYPROJECT_EDITS, (PYTEST_OPTIONS, f'{PYTEST_OPTIONS[:-1]} --lang {language}"'))


def python_version() -> str:
    """The Python that releases install on: the one building them, which ran the project's
    tests with the pinned versions (e.g. ``"3.11"``)."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def pip_install(python: str, source: str, constraints: str, editable: bool = False) -> str:
    """The shell command installing the grader from ``source`` with the pinned versions."""
    target = f"-e {source}" if editable else source
    return f"{python} -m pip install -c {constraints} --extra-index-url {TORCH_INDEX} {target}"


def copy_grader(root: Path, dest: Path) -> list[Path]:
    """``root/grader`` (the package as source, without bytecode and :data:`LEFT_OUT`) into
    ``dest/grader``."""
    source = root / "grader"
    left_out = {source / part for part in LEFT_OUT}
    bytecode = shutil.ignore_patterns("__pycache__", "*.pyc")

    def ignore(folder: str, names: list[str]) -> set[str]:
        return set(bytecode(folder, names)) | {n for n in names if Path(folder, n) in left_out}

    shutil.copytree(source, dest / "grader", ignore=ignore, dirs_exist_ok=True)
    return [dest / "grader"]


def write_pyproject(root: Path, dest: Path) -> list[Path]:
    """The project's ``pyproject.toml`` with :func:`pyproject_edits` applied (in the current
    language); ValueError when the project's file no longer has a text an edit expects (so a
    drift fails the build)."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    for old, new in pyproject_edits(current_language()):
        if text.count(old) != 1:
            raise ValueError(_("{path}: expected one {old} to change into {new}").format(
                path=root / "pyproject.toml", old=repr(old), new=repr(new)))
        text = text.replace(old, new)
    (dest / "pyproject.toml").write_text(text, encoding="utf-8")
    return [dest / "pyproject.toml"]


def copy_constraints(root: Path, dest: Path) -> list[Path]:
    """The project's pinned, tested versions, unchanged."""
    shutil.copyfile(root / "constraints.txt", dest / "constraints.txt")
    return [dest / "constraints.txt"]


def write_grader(root: Path, dest: Path) -> list[Path]:
    """Everything ``pip install`` needs in ``dest`` except the README (each artefact writes
    its own, which the pyproject names)."""
    dest.mkdir(parents=True, exist_ok=True)
    return copy_grader(root, dest) + write_pyproject(root, dest) + copy_constraints(root, dest)
