"""Proof that a release carries no model answer: no function in it has the body of an answer.

An answer is a function of ``solutions/exNN_*.py`` (or of an installed pack's solutions) whose
body differs from the same file's stub (:func:`grader.stubs.make_stub`): helpers given to
students unchanged are not answers. Bodies
are compared as syntax trees (``ast.dump``), without their docstrings, so reformatting or a new
docstring does not hide a copy. Trivial bodies (``pass``, ``...``, a ``raise
NotImplementedError``, nothing but a docstring) never count.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from grader.engine import registry
from grader.i18n import _
from grader.stubs import make_stub


@dataclass(frozen=True)
class Leak:
    """A function in the release whose body is an answer's."""

    path: Path
    line: int
    function: str
    answer: str  # "ex01_cross_correlation.py: cust_conv2d"

    def __str__(self) -> str:
        return _("{path}:{line}: {function} has the body of the answer {answer}").format(
            path=self.path, line=self.line, function=self.function, answer=self.answer)


class LeakError(RuntimeError):
    """A release about to carry model answers."""

    def __init__(self, leaks: list[Leak]):
        super().__init__("\n".join([_("the release would carry model answers:"), *(f"  {leak}" for leak in leaks)]))
        self.leaks = leaks


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The body's syntax tree as text, without a leading docstring; None when trivial."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return None
    if len(body) == 1:
        stmt = body[0]
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            return None
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.dump(stmt):
            return None
    return "\n".join(ast.dump(stmt) for stmt in body)


def function_bodies(source: str) -> dict[str, tuple[str, int]]:
    """Non-trivial body -> (function name, line) for every function and method of ``source``."""
    bodies: dict[str, tuple[str, int]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = _body(node)
            if body is not None:
                bodies.setdefault(body, (node.name, node.lineno))
    return bodies


def answer_bodies(solutions: Path) -> dict[str, str]:
    """Body -> "file: function" for every answer in ``solutions/exNN_*.py``."""
    answers: dict[str, str] = {}
    for path in sorted(solutions.glob("ex[0-9][0-9]_*.py")):
        source = path.read_text(encoding="utf-8")
        given = function_bodies(make_stub(source))
        for body, (name, _line) in function_bodies(source).items():
            if body not in given:
                answers[body] = f"{path.name}: {name}"
    return answers


PUBLISHED_REFERENCES = {"ex04_shapes"}
"""Exercises whose answers are published formulas (torch's documentation of Conv2d,
ConvTranspose2d and MaxPool2d, and the course notes) that the grader must hold to prove a
student's formula with sympy: their own catalog file may carry them. Nothing else may."""


def _published(path: Path, answer: str) -> bool:
    module = answer.split(".py:", 1)[0]
    return module in PUBLISHED_REFERENCES and path.parts[-2:] == ("catalog", f"{module}.py")


def find_leaks(release: Path, solutions: Path) -> list[Leak]:
    """Every function under ``release`` (all ``*.py`` files) with an answer's body, except a
    published formula in its own exercise's catalog file (:data:`PUBLISHED_REFERENCES`)."""
    answers = answer_bodies(solutions)
    for pack in registry.packs():  # the installed packs' model answers, whether the course uses them or not
        answers.update(answer_bodies(pack.solutions))
    leaks = []
    for path in sorted(release.rglob("*.py")):
        relative = path.relative_to(release)
        for body, (name, line) in function_bodies(path.read_text(encoding="utf-8")).items():
            if body in answers and not _published(relative, answers[body]):
                leaks.append(Leak(relative, line, name, answers[body]))
    return leaks


def verify(release: Path, solutions: Path) -> None:
    """Raise :class:`LeakError` when :func:`find_leaks` finds anything under ``release``."""
    leaks = find_leaks(release, solutions)
    if leaks:
        raise LeakError(leaks)
