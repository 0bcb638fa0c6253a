"""Step: one autograder test cell per check, right after the cell that defines its function, or
after a later cell when the function uses what that cell defines (``conv2d`` calling
``im2col``): a test cell grades the cells run before it.

A test cell is worth the check's points. Its visible line runs the check with the ``student``
profile; its hidden tests (removed from the released notebook, restored by nbgrader for
grading, cleared from the feedback) run the same check with the ``grading`` profile: more
examples, the course's recorded seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbformat import NotebookNode

from grader.engine.exercise import Check, Exercise, Task
from grader.i18n import _
from grader.notebook import cells
from grader.notebook.cellcode import SESSION

if TYPE_CHECKING:
    from grader.notebook.course import Build

SOURCE = """# {comment}
{session}.check({task!r}, {check!r})
### BEGIN HIDDEN TESTS
{session}.check({task!r}, {check!r}, profile="grading")
### END HIDDEN TESTS"""


def test_cell(task: Task, check: Check) -> NotebookNode:
    comment = _("{task}[{check}], {points} point(s): {description}").format(
        task=task.name, check=check.name, points=f"{check.points:g}", description=_(check.description))
    source = SOURCE.format(comment=" ".join(comment.splitlines()), task=task.name, check=check.name, session=SESSION)
    return cells.test(source, cells.test_id(task.name, check.name), check.points)


def ready_after(nb: NotebookNode, name: str) -> int | None:
    """The index of the last cell that must have run before ``name`` can be called: the cell
    defining it, or a later one defining something it uses (transitively); None when no cell
    defines it."""
    definer = {defined: i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
               for defined in cells.defines(cell.source)}
    if name not in definer:
        return None
    seen, todo = set(), [definer[name]]
    while todo:
        index = todo.pop()
        if index not in seen:
            seen.add(index)
            todo += [definer[used] for used in cells.names_used(nb.cells[index].source) if used in definer]
    return max(seen)


def add_tests(nb: NotebookNode, exercise: Exercise, build: Build) -> NotebookNode:
    places = []
    for order, task in enumerate(exercise.tasks):
        after = ready_after(nb, task.name)
        places.append((len(nb.cells) if after is None else after + 1, order, task))
    for at, _order, task in sorted(places, key=lambda place: place[:2], reverse=True):
        nb.cells[at:at] = [test_cell(task, check) for check in task.checks]
    return nb
