"""``convgrade nbgrader COURSE_DIR [--exercise MODULE]... [--seed S]``: write the course as an
nbgrader course (``nbgrader_config.py`` and ``source/<module>/<module>.ipynb``, one assignment
per exercise), generated from the registry and ``solutions/``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import registry
from grader.notebook.course import Build, write_course
from grader.settings import DEFAULT_SEED
from grader.stubs import ROOT


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade nbgrader`` to the CLI."""
    parser = commands.add_parser("nbgrader", help="write the course as an nbgrader course (one notebook per exercise)",
                                 description="Write nbgrader_config.py and one source notebook per exercise into "
                                 "COURSE_DIR; then run `nbgrader generate_assignment` there. Files of the same "
                                 "names are replaced: the notebooks are generated, never edited by hand.")
    parser.add_argument("course_dir", type=Path, metavar="COURSE_DIR", help="the nbgrader course folder")
    parser.add_argument("--exercise", action="append", metavar="MODULE",
                        help="only this exercise (repeatable), e.g. ex01_cross_correlation; default: every "
                        "exercise of the registry with a model answer in solutions/")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"hypothesis seed recorded for every check (default {DEFAULT_SEED})")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions", help="folder of model answers "
                        "(default: the project's solutions/)")
    parser.set_defaults(run=run_nbgrader)


def run_nbgrader(args: argparse.Namespace) -> int:
    build = Build(solutions=args.solutions, seed=args.seed)
    if args.exercise:
        try:
            exercises = [registry.get(module) for module in args.exercise]
        except KeyError as exc:
            print(f"convgrade nbgrader: {exc.args[0]}", file=sys.stderr)
            return 2
        missing = [e.module for e in exercises if not build.solution_file(e).is_file()]
        if missing:
            print(f"convgrade nbgrader: no model answer for {', '.join(missing)} in {build.solutions}",
                  file=sys.stderr)
            return 2
    else:
        exercises = [e for e in registry.all_exercises() if build.solution_file(e).is_file()]
        skipped = sorted({e.module for e in registry.all_exercises()} - {e.module for e in exercises})
        if skipped:
            print(f"skipped (no model answer in {build.solutions}): {', '.join(skipped)}")
    written = write_course(args.course_dir, exercises, build)
    print(f"wrote {written[0]} and {len(written) - 1} source notebook(s) under {args.course_dir / 'source'} "
          f"(seed {build.seed}); next, in {args.course_dir}: nbgrader generate_assignment 'ex*' --create")
    return 0
