"""The installable grader that every release artefact carries: ``grader/`` as source, a
``pyproject.toml`` derived from the project's, and the project's pinned ``constraints.txt``;
and, for a course file (:mod:`grader.course`), the course file itself (``convgrade.toml``) and the
source of every exercise pack the course takes exercises from, without its model answers
(``packs/<name>/``).

Each step writes into a destination folder and returns the paths it wrote.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from grader.course import FILE_NAME
from grader.engine import registry
from grader.i18n import _, current_language
from grader.packs import Pack

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


PACKS_DIR = "packs"
"""Where a release carries the source of the course's exercise packs."""


def course_packs() -> list[Pack]:
    """The installed packs that an exercise of the course comes from, in load order."""
    used = {registry.origin(e.module) for e in registry.all_exercises()}
    return [pack for pack in registry.packs() if pack.name in used]


def pack_installs(python: str, where: str) -> list[str]:
    """The shell commands installing the course's packs from ``where/packs/`` (after the grader)."""
    return [f"{python} -m pip install --no-deps {where}/{PACKS_DIR}/{pack.name}" for pack in course_packs()]


def copy_packs(dest: Path) -> list[Path]:
    """Each course pack's packages (without their model answers and bytecode) and its
    ``pyproject.toml`` into ``dest/packs/<name>/``."""
    written = []
    for pack in course_packs():
        folder = dest / PACKS_DIR / pack.name
        for package in pack.packages:
            source = Path(importlib.util.find_spec(package).submodule_search_locations[0])
            answers = pack.solutions.resolve()
            bytecode = shutil.ignore_patterns("__pycache__", "*.pyc")

            def ignore(where: str, names: list[str]) -> set[str]:
                return set(bytecode(where, names)) | {n for n in names if Path(where, n).resolve() == answers}

            shutil.copytree(source, folder / package, ignore=ignore, dirs_exist_ok=True)
            if (source.parent / "pyproject.toml").is_file():
                shutil.copyfile(source.parent / "pyproject.toml", folder / "pyproject.toml")
        written.append(folder)
    return written


def copy_course(dest: Path) -> list[Path]:
    """The course file in force, as ``dest/convgrade.toml`` (nothing without one)."""
    course = registry.current_course()
    if course is None:
        return []
    shutil.copyfile(course.source, dest / FILE_NAME)
    return [dest / FILE_NAME]


def write_grader(root: Path, dest: Path) -> list[Path]:
    """Everything ``pip install`` needs in ``dest`` except the README (each artefact writes
    its own, which the pyproject names), and the course's file and packs."""
    dest.mkdir(parents=True, exist_ok=True)
    return (copy_grader(root, dest) + write_pyproject(root, dest) + copy_constraints(root, dest)
            + copy_course(dest) + copy_packs(dest))
