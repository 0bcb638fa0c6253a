"""Writing the course: nbgrader_config.py and one source notebook per exercise, built by a
pipeline of steps from the registry and ``solutions/`` (never edited by hand).

A course is written in the current language (:func:`grader.i18n.set_language`; the CLI's
``--lang``): the notebooks' prose, and the language recorded for their grading (the armed cell's
``lang``, ``GradeOutsideKernel.lang`` in ``nbgrader_config.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_notebook

from grader.engine import registry
from grader.engine.exercise import Exercise
from grader.i18n import current_language
from grader.notebook import answers, arm, config, intro, kernelspec, tests


@dataclass(frozen=True)
class Build:
    """The inputs every step may read."""

    solutions: Path  # the folder of model answers (solutions/exNN_*.py)
    seed: int  # the hypothesis seed every grading run of the course uses

    def solution_file(self, exercise: Exercise) -> Path:
        """A built-in's model answer in :attr:`solutions`; a pack's in the pack's own folder."""
        return registry.solution_file(exercise.module, self.solutions)


Step = Callable[[NotebookNode, Exercise, Build], NotebookNode]

PIPELINE: tuple[Step, ...] = (intro.add_intro, arm.add_armed_cell, answers.add_answers, tests.add_tests)
"""The steps, in order, that turn an empty notebook into an exercise's source notebook."""

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def source_notebook(exercise: Exercise, build: Build) -> NotebookNode:
    """The exercise's nbgrader source notebook (with solutions and hidden tests)."""
    nb = new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for step in PIPELINE:
        nb = step(nb, exercise, build)
    nbformat.validate(nb)
    return nb


def write_course(root: Path, exercises: list[Exercise], build: Build) -> list[Path]:
    """Write ``nbgrader_config.py``, the confined kernel's kernelspec
    (:func:`grader.notebook.kernelspec.write_kernelspec`) and ``source/<module>/<module>.ipynb``
    for each exercise under ``root``; return the paths written, in that order. Existing files of
    the same names are replaced."""
    root.mkdir(parents=True, exist_ok=True)
    written = [root / "nbgrader_config.py"]
    written[0].write_text(config.nbgrader_config(build.seed, current_language()), encoding="utf-8")
    written.append(kernelspec.write_kernelspec(root))
    for exercise in exercises:
        path = root / "source" / exercise.module / f"{exercise.module}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(source_notebook(exercise, build), path)
        written.append(path)
    return written
