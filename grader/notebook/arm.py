"""Step: the locked first code cell, which arms the grader before any student code runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbformat import NotebookNode

from grader.exercise import Exercise
from grader.notebook import cells
from grader.notebook.cellcode import SESSION

if TYPE_CHECKING:
    from grader.notebook.course import Build

SOURCE = """# Locked: arms the grader before any of your code runs. Run it first and leave it as it is.
from grader.notebook.kernel import arm
{session} = arm({module!r}, seed={seed})"""


def add_armed_cell(nb: NotebookNode, exercise: Exercise, build: Build) -> NotebookNode:
    source = SOURCE.format(session=SESSION, module=exercise.module, seed=build.seed)
    nb.cells.append(cells.read_only(source, cells.ARM_ID))
    return nb
