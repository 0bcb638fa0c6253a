"""What the source of a code cell means to the grader (standard library only: the kernel side
imports it).

A cell's Python is its source without the lines of IPython magics and shell escapes (``%``,
``!``). A cell that uses the grading session (the name the armed cell binds, ``convgrade``),
such as the armed cell and every test cell, is the grader's, not the student's: its code is
never part of what is graded, in the kernel or outside it.
"""

from __future__ import annotations

import ast
from typing import Iterable

SESSION = "convgrade"
"""The name the armed cell binds the grading session to; test cells call ``convgrade.check``."""


def python_lines(source: str) -> list[str]:
    """The cell's lines without IPython magics and shell escapes."""
    return [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]


def uses_session(source: str) -> bool:
    """True when the cell's code refers to the grading session by name (a mere mention in a
    comment or a string does not count)."""
    try:
        tree = ast.parse("\n".join(python_lines(source)))
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Name) and node.id == SESSION for node in ast.walk(tree))


def module_code(cells: Iterable[str]) -> str:
    """The cells' code as one module: lines of IPython magics and shell escapes (``%``, ``!``)
    dropped, ``from __future__`` imports moved to the top (the only place Python allows them)."""
    futures: list[str] = []
    chunks: list[str] = []
    for number, source in enumerate(cells, 1):
        lines = python_lines(source)
        for start, end in _future_imports("\n".join(lines)):
            futures += [line for line in lines[start:end] if line not in futures]
            lines[start:end] = [""] * (end - start)
        chunks.append(f"# cell {number}\n" + "\n".join(lines))
    return "\n".join(futures + [""] + chunks) + "\n"


def _future_imports(code: str) -> list[tuple[int, int]]:
    """0-based line ranges of the top-level ``from __future__`` imports of ``code``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [(node.lineno - 1, node.end_lineno) for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module == "__future__"]
