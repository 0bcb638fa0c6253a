"""Step: the exercise's title, its explanation (the registry's notes, formulas in LaTeX) and
what each function is worth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbformat import NotebookNode

from grader.engine.exercise import Exercise
from grader.i18n import N_, _
from grader.notebook import cells

if TYPE_CHECKING:
    from grader.notebook.course import Build

HOW_IT_IS_GRADED = N_("""**How this notebook is graded.** Run the cells in order. The locked cell below arms the
grader; each autograder cell after a function grades one check of it and, when it fails,
shows the smallest input that fails, what was expected, what came back (wrong entries marked
`*`) and a hint. Checks run in a separate process on the code of the cells you ran: redefining
torch functions in your cells cannot change a verdict, and a cell that changes builtins or
the grader makes the test cells fail until you restart the kernel. Final grades are computed
the same way, outside your kernel.""")


def add_intro(nb: NotebookNode, exercise: Exercise, build: Build) -> NotebookNode:
    rows = ["| {} | {} | {} |".format(_("function"), _("checks"), _("points")), "|---|---|---|"]
    rows += [f"| `{t.name}` | {len(t.checks)} | {t.max_points:g} |" for t in exercise.tasks]
    rows.append("| **{}** | {} | **{:g}** |".format(_("total"), sum(len(t.checks) for t in exercise.tasks),
                                                    exercise.max_points))
    parts = [f"# {exercise.module}: {_(exercise.title)}"]
    if exercise.notes:
        parts.append(_(exercise.notes))
    parts += ["\n".join(rows), _(HOW_IT_IS_GRADED)]
    nb.cells.append(cells.markdown("\n\n".join(parts)))
    return nb
