"""``convgrade nbgrader COURSE_DIR [--exercise MODULE]... [--seed S]``: write the course as an
nbgrader course (``nbgrader_config.py`` and ``source/<module>/<module>.ipynb``, one assignment
per exercise), generated from the registry and ``solutions/``, in the language of the command
(``--lang``): the notebooks' prose, and the feedback the course's grading writes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.engine import registry
from grader.engine.settings import DEFAULT_SEED
from grader.i18n import _
from grader.notebook.course import Build, write_course
from grader.stubs import ROOT


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade nbgrader`` to the CLI."""
    parser = commands.add_parser("nbgrader",
                                 help=_("write the course as an nbgrader course (one notebook per exercise)"),
                                 description=_("Write nbgrader_config.py and one source notebook per exercise into "
                                               "COURSE_DIR; then run `nbgrader generate_assignment` there. Files of "
                                               "the same names are replaced: the notebooks are generated, never "
                                               "edited by hand."))
    parser.add_argument("course_dir", type=Path, metavar="COURSE_DIR", help=_("the nbgrader course folder"))
    parser.add_argument("--exercise", action="append", metavar="MODULE",
                        help=_("only this exercise (repeatable), e.g. ex01_cross_correlation; default: every "
                               "exercise of the registry with a model answer in solutions/"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=_("hypothesis seed recorded for every check (default {seed})").format(seed=DEFAULT_SEED))
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions",
                        help=_("folder of model answers (default: the project's solutions/)"))
    parser.set_defaults(run=run_nbgrader)


def run_nbgrader(args: argparse.Namespace) -> int:
    build = Build(solutions=args.solutions, seed=args.seed)
    if args.exercise:
        try:
            exercises = [registry.get(module) for module in args.exercise]
        except KeyError as exc:
            print(_("convgrade nbgrader: {error}").format(error=exc.args[0]), file=sys.stderr)
            return 2
        missing = [e.module for e in exercises if not build.solution_file(e).is_file()]
        if missing:
            print(_("convgrade nbgrader: no model answer for {exercises} in {folder}").format(
                exercises=", ".join(missing), folder=build.solutions), file=sys.stderr)
            return 2
    else:
        exercises = [e for e in registry.all_exercises() if build.solution_file(e).is_file()]
        skipped = sorted({e.module for e in registry.all_exercises()} - {e.module for e in exercises})
        if skipped:
            print(_("skipped (no model answer in {folder}): {exercises}").format(folder=build.solutions,
                                                                                 exercises=", ".join(skipped)))
    written = write_course(args.course_dir, exercises, build)
    print(_("wrote {config}, the kernel {kernel} and {count} source notebook(s) under {folder} (seed {seed}); "
            "next, in {course}: nbgrader generate_assignment 'ex*' --create").format(
        config=written[0], kernel=written[1], count=len(written) - 2, folder=args.course_dir / "source",
        seed=build.seed,
        course=args.course_dir))
    return 0
