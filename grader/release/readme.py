"""The student repository's README: setting up, running the checks, how points work, and the
points of every exercise, read from the registry."""

from __future__ import annotations

from grader import registry
from grader.release.tree import pip_install, python_version
from grader.release.workflow import WORKFLOW_PATH

SETUP = pip_install(".venv/bin/python", ".", "constraints.txt", editable=True)


def points_table() -> str:
    """A Markdown table: each exercise file, its functions with their points, and its total."""
    rows = ["| file | exercise | functions (points) | points |", "| --- | --- | --- | ---: |"]
    total = 0.0
    for exercise in registry.all_exercises():
        functions = ", ".join(f"`{t.name}` ({t.max_points:g})" for t in exercise.tasks)
        rows.append(f"| `exercises/{exercise.module}.py` | {exercise.title} | {functions} | {exercise.max_points:g} |")
        total += exercise.max_points
    rows.append(f"| **total** | | | **{total:g}** |")
    return "\n".join(rows)


def student_readme() -> str:
    """The README's Markdown."""
    return f"""\
# Convolution exercises

Implement convolution in PyTorch by hand, from cross-correlation to a fully convolutional
network. Every function you write is checked against torch itself, on inputs drawn at random
and shrunk to the smallest one that shows a mistake.

## Set up

With Python {python_version()} (the version the pinned packages are tested with):

    python3 -m venv .venv
    {SETUP}

(`scripts/setup` runs these two lines.) The versions in `constraints.txt` are the ones the
grader is tested with; the extra index gives torch's CPU build, which is all you need.

## Work and check

Open `exercises/`, replace each `raise NotImplementedError` with your code, and run

    .venv/bin/pytest exercises/               # every exercise
    .venv/bin/pytest exercises/ -m ex03       # one exercise
    .venv/bin/pytest exercises/ -k pad2d      # one function

Each check is one test. A failing check prints the smallest input that shows the failure,
what was expected, what came back (wrong entries marked `*`) and a hint. The run ends with a
points table. `--profile grading` runs the checks as your grade does (more examples, a fixed
seed: the same code always gets the same score); `--seed N` and `--device cpu|cuda|auto` are
also available.

Inside a function marked "by hand", torch's convolution, padding, unfold/fold, pooling and
autograd-gradient helpers are off limits; using one fails the check with a message naming it.

## How points work

Every function has a few checks, each worth some points. They run in order, the structural
ones first (is the function there, does it avoid forbidden calls, is its result of the right
type, shape and dtype), then the values against torch's on many inputs, and, where torch
rejects an argument, whether yours raises the same error. You get the points of each check
that passes; a function that is missing or still raises `NotImplementedError` gets none.

{points_table()}

## Feedback on every push

Each push runs `{WORKFLOW_PATH}` on GitHub: it grades `exercises/` with your instructor's copy
of the grader, pinned to one version, and shows the points and every failing check's smallest
counterexample in the run's summary; the failing functions are annotated in your code. Only
the files in `exercises/` are read from your repository, so your grade never depends on the
copy of the grader in `grader/`, which is here to let you run the same checks locally.
"""
