"""Finding submissions on disk and snapshotting their code before any of it runs.

A SUBMISSION argument is a folder in the contract's layout (it holds ``exNN_*.py`` files), a
folder of such folders or notebooks (one per student, named by student), or a notebook
(``.ipynb``, whose code cells are the student's code). Problems (a missing path, an empty
folder, a notebook that is not valid JSON...) are recorded on the submission, one line each,
so the rest of the class is still graded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine import registry
from grader.i18n import _
from grader.notebook.cellcode import module_code
from grader.run.target import EXERCISE_FILE

MAX_BYTES = 2_000_000  # a submission's code, all files together
NOTEBOOK_MODULE = "notebook_cells"


@dataclass
class SubmissionSource:
    """One student's code, read into memory: file name -> text."""

    name: str
    files: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why it cannot be graded at all, in one line


def _read_folder(folder: Path) -> SubmissionSource:
    source = SubmissionSource(folder.name)
    total = 0
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        total += len(text)
        if total > MAX_BYTES:
            source.problem = _("{name}: more than {megabytes} MB of code").format(name=folder.name,
                                                                                  megabytes=MAX_BYTES // 1_000_000)
            return source
        source.files[path.name] = text
    if not any(EXERCISE_FILE.fullmatch(name) for name in source.files):
        source.problem = _("{folder}: no exercise files (expected files such as ex01_cross_correlation.py)").format(
            folder=folder)
    return source


def notebook_code(path: Path) -> str:
    """The code cells of a notebook as one module (see :func:`grader.notebook.cellcode.module_code`)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError(_("it has no list of cells"))
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            text = cell.get("source", "")
            sources.append("".join(text) if isinstance(text, list) else str(text))
    return module_code(sources)


def _read_notebook(path: Path) -> SubmissionSource:
    """A notebook becomes one module holding its cells, and every exercise module re-exports it
    (so a notebook answering any subset of the exercises grades like a folder)."""
    source = SubmissionSource(path.stem)
    try:
        code = notebook_code(path)
    except (ValueError, UnicodeDecodeError) as exc:
        source.problem = _("{name} is not a valid notebook: {error}").format(name=path.name,
                                                                              error=str(exc).splitlines()[0][:120])
        return source
    if len(code) > MAX_BYTES:
        source.problem = _("{name}: more than {megabytes} MB of code").format(name=path.name,
                                                                              megabytes=MAX_BYTES // 1_000_000)
        return source
    source.files[f"{NOTEBOOK_MODULE}.py"] = code
    for exercise in registry.all_exercises():
        source.files[f"{exercise.module}.py"] = f"from {NOTEBOOK_MODULE} import *  # the notebook's code cells\n"
    return source


def discover(arguments: list[str]) -> list[SubmissionSource]:
    """Every submission named by the command line's SUBMISSION arguments, sorted by name."""
    found: list[SubmissionSource] = []
    for argument in arguments:
        path = Path(argument)
        if not path.exists():
            found.append(SubmissionSource(path.name or argument,
                                          problem=_("{path}: no such file or folder").format(path=argument)))
        elif path.is_file():
            if path.suffix == ".ipynb":
                found.append(_read_notebook(path))
            else:
                found.append(SubmissionSource(path.stem, problem=_("{path}: not a folder or a notebook (.ipynb)")
                                              .format(path=argument)))
        elif any(EXERCISE_FILE.fullmatch(p.name) for p in path.glob("*.py")):
            found.append(_read_folder(path))
        else:
            children = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))
                              or p.suffix == ".ipynb")
            if not children:
                found.append(SubmissionSource(path.name, problem=_("{path}: empty folder (no submissions, no "
                                                                   "exercise files)").format(path=argument)))
            for child in children:
                found.append(_read_notebook(child) if child.suffix == ".ipynb" else _read_folder(child))
    return sorted(found, key=lambda s: s.name)
