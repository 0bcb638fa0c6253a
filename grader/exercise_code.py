"""Each exercise's code in a submission, as the similarity report compares it.

A folder submission holds one file per exercise (``ex03_padding_stride.py``): that file is
the exercise's code. A notebook's code cells (:func:`grader.run.submissions.notebook_code`) are
cut into exercises by their top-level definitions: a function or class the contract names
(``pad2d``) belongs to its exercise, and a helper the contract does not name belongs to the
exercise of the first definition that uses it (helpers of helpers likewise). Top-level
statements that define nothing (imports, trials, prints) belong to no exercise.
"""

from __future__ import annotations

import ast
from functools import cache

from grader.engine import registry
from grader.run.submissions import NOTEBOOK_MODULE, SubmissionSource

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _owners() -> dict[str, str]:
    """Contract name -> its exercise module, for the course's exercises."""
    return _owners_of(tuple(exercise.module for exercise in registry.all_exercises()))


@cache
def _owners_of(modules: tuple[str, ...]) -> dict[str, str]:
    return {task.name: module for module in modules for task in registry.get(module).tasks}


def _used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _segment(lines: list[str], node: Definition) -> str:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return "\n".join(lines[first - 1:node.end_lineno])


def notebook_parts(code: str) -> dict[str, str]:
    """Exercise module -> the notebook's definitions for it, in notebook order (see the module
    docstring). ValueError when the code does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise ValueError(f"line {exc.lineno}: {exc.msg}") from None
    definitions = {node.name: node for node in tree.body if isinstance(node, Definition)}
    exercise_of = {name: _owners()[name] for name in definitions if name in _owners()}
    changed = True
    while changed:  # helpers join the exercise of the first definition that uses them
        changed = False
        for name, node in definitions.items():
            if name in exercise_of:
                continue
            user = next((other for other in exercise_of if name in _used_names(definitions[other])), None)
            if user is not None:
                exercise_of[name] = exercise_of[user]
                changed = True
    lines = code.splitlines()
    parts: dict[str, list[str]] = {}
    for name, node in definitions.items():
        if name in exercise_of:
            parts.setdefault(exercise_of[name], []).append(_segment(lines, node))
    return {module: "\n\n\n".join(segments) + "\n" for module, segments in parts.items()}


def exercise_code(source: SubmissionSource) -> dict[str, str]:
    """Exercise module -> the submission's code for it (only the exercises it has code for).
    ValueError when a notebook's code cannot be cut into exercises."""
    notebook = source.files.get(f"{NOTEBOOK_MODULE}.py")
    if notebook is not None:
        return notebook_parts(notebook)
    modules = {exercise.module for exercise in registry.all_exercises()}
    return {name[:-3]: text for name, text in source.files.items() if name[:-3] in modules}
