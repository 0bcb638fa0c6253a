"""Notebook cells with nbgrader's metadata (schema version 3), and the ids convgrade gives them.

Ids are the contract between the generated notebook and the autograde step: a test cell's
``grade_id`` names its check (``test-cust_conv2d-matches_torch``), and nbgrader restores every
grade cell's id and source from its database before grading, so the id can be trusted.
"""

from __future__ import annotations

import ast
import re

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell

SCHEMA_VERSION = 3
ARM_ID = "convgrade-arm"
"""The grade_id of the locked first code cell that arms the grader."""

_TEST_ID = re.compile(r"test-([A-Za-z_]\w*)-([a-z][a-z0-9_]*)")


def answer_id(name: str) -> str:
    """The grade_id of the solution cell defining ``name``."""
    return f"answer-{name}"


def test_id(task: str, check: str) -> str:
    """The grade_id of the test cell of one check: ``test-cust_conv2d-matches_torch``."""
    return f"test-{task}-{check}"


def parse_test_id(grade_id: str) -> tuple[str, str] | None:
    """(task, check) of a test cell's grade_id; None for any other id."""
    match = _TEST_ID.fullmatch(grade_id)
    return (match.group(1), match.group(2)) if match else None


def _nbgrader(cell: NotebookNode, grade_id: str, *, grade: bool, solution: bool, locked: bool,
              points: float | None = None) -> NotebookNode:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    if locked:
        cell.metadata["editable"] = False
        cell.metadata["deletable"] = False
    return cell


def markdown(source: str) -> NotebookNode:
    """An ordinary Markdown cell."""
    return new_markdown_cell(source)


def code(source: str) -> NotebookNode:
    """An ordinary code cell (the student may change it; nbgrader does not track it)."""
    return new_code_cell(source)


def read_only(source: str, grade_id: str) -> NotebookNode:
    """A locked code cell: nbgrader restores its source before grading."""
    return _nbgrader(new_code_cell(source), grade_id, grade=False, solution=False, locked=True)


def solution(source: str, grade_id: str) -> NotebookNode:
    """An "autograded answer" cell: ``### BEGIN SOLUTION``/``### END SOLUTION`` regions become
    stubs when nbgrader releases the assignment."""
    return _nbgrader(new_code_cell(source), grade_id, grade=False, solution=True, locked=False)


def test(source: str, grade_id: str, points: float) -> NotebookNode:
    """An "autograder tests" cell worth ``points``: full points when it runs without error."""
    return _nbgrader(new_code_cell(source), grade_id, grade=True, solution=False, locked=True, points=points)


def grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_test(cell: NotebookNode) -> bool:
    """An autograder test cell (graded, not a student's answer)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _tree(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def defines(source: str) -> set[str]:
    """Names of the functions and classes a code cell defines at top level."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in _tree(source).body if isinstance(node, kinds)}


def names_used(source: str) -> set[str]:
    """Every name a code cell reads, at top level or inside its functions."""
    return {node.id for node in ast.walk(_tree(source))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
