"""Step: the locked first code cell, which arms the grader before any student code runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbformat import NotebookNode

from grader.engine.exercise import Exercise
from grader.i18n import N_, _, current_language
from grader.notebook import cells
from grader.notebook.cellcode import SESSION

if TYPE_CHECKING:
    from grader.notebook.course import Build

SOURCE = """# {comment}
from grader.notebook.kernel import arm
{session} = arm({module!r}, seed={seed}, lang={lang!r})"""

COMMENT = N_("Locked: arms the grader before any of your code runs. Run it first and leave it as it is.")


def add_armed_cell(nb: NotebookNode, exercise: Exercise, build: Build) -> NotebookNode:
    source = SOURCE.format(comment=_(COMMENT).replace("\n", " "), session=SESSION, module=exercise.module,
                           seed=build.seed, lang=current_language())
    nb.cells.append(cells.read_only(source, cells.ARM_ID))
    return nb
