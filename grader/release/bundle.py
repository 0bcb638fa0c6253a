"""The student repository, built in steps from the project: the exercise stubs (generated from
``solutions/`` by :func:`grader.stubs.make_stub`, never copied), the grader as installable
source, a README with the points, the CI workflow, and a setup script. No model answer goes in:
:func:`build_release` verifies that with :mod:`grader.release.leaks` before the folder appears.

Layout of a release::

    README.md  pyproject.toml  constraints.txt  .gitignore  scripts/setup
    exercises/  (conftest.py and one stub per solution file)
    grader/     (the package as source)
    .github/workflows/grade.yml

A release speaks the current language (:mod:`grader.i18n`, the CLI's ``--lang``): its README
and setup script, and the feedback of its ``pytest`` (``--lang`` in the pytest options of its
``pyproject.toml``) and of its CI workflow.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from grader.i18n import N_, _
from grader.release.leaks import verify
from grader.release.readme import setup_commands, student_readme
from grader.release.tree import write_grader
from grader.release.workflow import WORKFLOW_PATH, GraderPin, workflow_yaml
from grader.stubs import ROOT, course_solution_files, make_stub

GITIGNORE = ".venv/\n__pycache__/\n*.egg-info/\n.hypothesis/\nresults*.json\n"
SETUP_COMMENT = N_("Makes .venv with the pinned versions and installs the grader into it.")


def write_exercises(root: Path, dest: Path) -> list[Path]:
    """``exercises/``: the stub of every model answer of the course (``solutions/exNN_*.py`` for
    the built-ins, a pack's own solutions for its exercises) and the project's conftest.py."""
    folder = dest / "exercises"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for solution in course_solution_files(root):
        stub = folder / solution.name
        stub.write_text(make_stub(solution.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(stub)
    shutil.copyfile(root / "exercises" / "conftest.py", folder / "conftest.py")
    return [*written, folder / "conftest.py"]


def write_readme(dest: Path) -> list[Path]:
    (dest / "README.md").write_text(student_readme(), encoding="utf-8")
    return [dest / "README.md"]


def write_workflow(dest: Path, pin: GraderPin) -> list[Path]:
    path = dest / WORKFLOW_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_yaml(pin), encoding="utf-8")
    return [path]


def write_setup(dest: Path) -> list[Path]:
    """``scripts/setup``: the README's setup lines, as an executable script."""
    path = dest / "scripts" / "setup"
    path.parent.mkdir(parents=True, exist_ok=True)
    comment = " ".join(_(SETUP_COMMENT).splitlines())
    commands = "\n".join(setup_commands())
    path.write_text(f'#!/usr/bin/env bash\n# {comment}\n'
                    f'set -euo pipefail\ncd "$(dirname "$0")/.."\npython3 -m venv .venv\n{commands}\n',
                    encoding="utf-8")
    path.chmod(0o755)
    return [path]


def write_gitignore(dest: Path) -> list[Path]:
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return [dest / ".gitignore"]


def write_release(dest: Path, pin: GraderPin, root: Path = ROOT) -> list[Path]:
    """Every file of the release into ``dest``, unverified (see :func:`build_release`)."""
    return (write_exercises(root, dest) + write_grader(root, dest) + write_readme(dest)
            + write_workflow(dest, pin) + write_setup(dest) + write_gitignore(dest))


def build_release(outdir: Path, pin: GraderPin, root: Path = ROOT) -> list[Path]:
    """The verified release in ``outdir`` (absent or empty). It is written beside ``outdir``
    first and moved into place only when it holds no model answer; otherwise
    :class:`grader.release.leaks.LeakError` is raised and nothing is left behind."""
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise FileExistsError(_("{folder} exists and is not an empty folder: choose a new one").format(folder=outdir))
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        written = write_release(staging, pin, root)
        verify(staging, root / "solutions")
        if outdir.exists():
            outdir.rmdir()
        staging.rename(outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [outdir / p.relative_to(staging) for p in written]
