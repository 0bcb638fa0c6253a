"""The student repository's README: setting up, running the checks, how points work, and the
points of every exercise, read from the registry; in the current language (:mod:`grader.i18n`)."""

from __future__ import annotations

from grader.engine import registry
from grader.i18n import _
from grader.release.tree import pack_installs, pip_install, python_version
from grader.release.workflow import WORKFLOW_PATH
from grader.run.limits import Limits

SETUP = pip_install(".venv/bin/python", ".", "constraints.txt", editable=True)


def setup_commands() -> list[str]:
    """What a student runs after making .venv: :data:`SETUP`, then the course's packs."""
    return [SETUP, *pack_installs(".venv/bin/python", ".")]


def points_table() -> str:
    """A Markdown table: each exercise file, its functions with their points, and its total."""
    header = (_("file"), _("exercise"), _("functions (points)"), _("points"))
    rows = ["| {} | {} | {} | {} |".format(*header), "| --- | --- | --- | ---: |"]
    total = 0.0
    for exercise in registry.all_exercises():
        functions = ", ".join(f"`{t.name}` ({t.max_points:g})" for t in exercise.tasks)
        rows.append(f"| `exercises/{exercise.module}.py` | {_(exercise.title)} | {functions} | "
                    f"{exercise.max_points:g} |")
        total += exercise.max_points
    rows.append("| **{}** | | | **{:g}** |".format(_("total"), total))
    return "\n".join(rows)


TEMPLATE = """\
# {title}

{intro}

## {set_up}

{python}

    python3 -m venv .venv
    {setup}

{setup_notes}

## {work}

{open}

{run}

{checks}

{limits}

{by_hand}

## {points_heading}

{points}

{table}

## {push_heading}

{push}
"""
"""The README's layout: its words come from :func:`student_readme`, in the current language."""


def student_readme() -> str:
    """The README's Markdown."""
    commands = [(".venv/bin/pytest exercises/", _("every exercise")),
                (".venv/bin/pytest exercises/ -m ex03", _("one exercise")),
                (".venv/bin/pytest exercises/ -k pad2d", _("one function"))]
    return TEMPLATE.format(
        title=_("Convolution exercises"),
        intro=_("Implement convolution in PyTorch by hand, from cross-correlation to a fully convolutional\n"
                "network. Every function you write is checked against torch itself, on inputs drawn at random\n"
                "and shrunk to the smallest one that shows a mistake."),
        set_up=_("Set up"),
        python=_("With Python {python} (the version the pinned packages are tested with):").format(
            python=python_version()),
        setup="\n    ".join(setup_commands()),
        setup_notes=_("(`scripts/setup` runs these two lines.) The versions in `constraints.txt` are the ones the\n"
                      "grader is tested with; the extra index gives torch's CPU build, which is all you need."),
        work=_("Work and check"),
        open=_("Open `exercises/`, replace each `raise NotImplementedError` with your code, and run"),
        run="\n".join(f"    {command:<41} # {comment}" for command, comment in commands),
        checks=_("Each check is one test. A failing check prints the smallest input that shows the failure,\n"
                 "what was expected, what came back (wrong entries marked `*`) and a hint. The run ends with a\n"
                 "points table. `--profile grading` runs the checks as your grade does (more examples, a fixed\n"
                 "seed: the same code always gets the same score); `--seed N` and `--device cpu|cuda|auto` are\n"
                 "also available."),
        limits=_("Each call of your code may run {seconds} s (`--call-timeout SECONDS`) and allocate {memory} MB\n"
                 "(`--call-memory MB`), as when it is graded: an endless loop, a recursion without end or a\n"
                 "runaway allocation fails its check with a message, and the run still ends with the points table.")
        .format(seconds=f"{Limits.call_seconds:g}", memory=Limits.memory_mb),
        by_hand=_("Inside a function marked \"by hand\", torch's convolution, padding, unfold/fold, pooling and\n"
                  "autograd-gradient helpers are off limits; using one fails the check with a message naming it."),
        points_heading=_("How points work"),
        points=_("Every function has a few checks, each worth some points. They run in order, the structural\n"
                 "ones first (is the function there, does it avoid forbidden calls, is its result of the right\n"
                 "type, shape and dtype), then the values against torch's on many inputs, and, where torch\n"
                 "rejects an argument, whether yours raises the same error. You get the points of each check\n"
                 "that passes; a function that is missing or still raises `NotImplementedError` gets none."),
        table=points_table(),
        push_heading=_("Feedback on every push"),
        push=_("Each push runs `{workflow}` on GitHub: it grades `exercises/` with your instructor's copy\n"
               "of the grader, pinned to one version, and shows the points and every failing check's smallest\n"
               "counterexample in the run's summary; the failing functions are annotated in your code. Only\n"
               "the files in `exercises/` are read from your repository, so your grade never depends on the\n"
               "copy of the grader in `grader/`, which is here to let you run the same checks locally.").format(
            workflow=WORKFLOW_PATH),
    )
