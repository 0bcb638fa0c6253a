"""Step: the model answer, cut into cells.

The solution file (``solutions/<module>.py``) is split at its top-level statements: each
function or class gets a cell of its own (a graded one under a heading with its summary); the
statements between them (imports, constants) are grouped into cells. A cell holding a
``### BEGIN SOLUTION`` region is an nbgrader solution cell, which ``nbgrader
generate_assignment`` turns into a stub; the file's docstring introduces the code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbformat import NotebookNode

from grader.engine.exercise import Exercise
from grader.i18n import _
from grader.notebook import cells

if TYPE_CHECKING:
    from grader.notebook.course import Build

BEGIN_SOLUTION = "### BEGIN SOLUTION"
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Chunk:
    """Consecutive top-level statements of the solution file, with the comments above them."""

    source: str
    names: tuple[str, ...]  # the functions and classes it defines, in order


def split(source: str) -> tuple[str, list[Chunk]]:
    """(the module docstring, the chunks): each function or class definition is a chunk of its
    own; the statements between definitions are grouped. A chunk runs from its first
    statement (with the unindented comments just above it) to the next chunk, so comments
    closing a body (``### END SOLUTION``) stay with it."""
    tree = ast.parse(source)
    lines = source.splitlines()
    docstring = ast.get_docstring(tree) or ""
    body = tree.body[1:] if docstring else tree.body
    groups: list[list[ast.stmt]] = []
    for node in body:
        if isinstance(node, _DEFINITIONS) or not groups or isinstance(groups[-1][0], _DEFINITIONS):
            groups.append([node])
        else:
            groups[-1].append(node)
    starts = [_first_line(group[0], lines) for group in groups] + [len(lines)]
    return docstring, [Chunk("\n".join(lines[start:end]).strip("\n"),
                             tuple(n.name for n in group if isinstance(n, _DEFINITIONS)))
                       for group, start, end in zip(groups, starts, starts[1:])]


def _first_line(node: ast.stmt, lines: list[str]) -> int:
    """The 0-based line where a statement's chunk starts: its decorators, and the blank or
    unindented comment lines right above it."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    while first > 0 and (lines[first - 1].startswith("#") or not lines[first - 1].strip()):
        first -= 1
    return first


def add_answers(nb: NotebookNode, exercise: Exercise, build: Build) -> NotebookNode:
    path = build.solution_file(exercise)
    tasks = {t.name: t for t in exercise.tasks}
    docstring, chunks = split(path.read_text(encoding="utf-8"))
    if docstring:
        nb.cells.append(cells.markdown("## {}\n\n{}".format(_("The code"), docstring)))
    for number, chunk in enumerate(chunks, 1):
        task = tasks.get(chunk.names[0]) if chunk.names else None
        if task is not None:
            heading = _("{function} ({points} points)").format(function=f"`{task.name}`",
                                                               points=f"{task.max_points:g}")
            nb.cells.append(cells.markdown(f"### {heading}\n\n{_(task.summary)}"))
        if BEGIN_SOLUTION in chunk.source:
            name = chunk.names[0] if chunk.names else f"code{number}"
            nb.cells.append(cells.solution(chunk.source, cells.answer_id(name)))
        else:
            nb.cells.append(cells.code(chunk.source))
    return nb
