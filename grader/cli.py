"""The ``convgrade`` command: one subcommand per module of :mod:`grader.commands`.

Exit status: 0 when the command completed (for ``grade``: whatever the scores), 2 for a usage
error, 1 when the grader itself failed.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from grader import course
from grader.engine import registry
from grader.i18n import LANGUAGES, UnknownLanguage, _, choose, set_language

COMMANDS = ("grade", "report", "similarity", "spec", "nbgrader", "release", "gradescope", "new")
"""Modules of grader.commands, in the order ``convgrade --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The ``convgrade`` parser with every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="convgrade", description=_("Auto-graded convolution exercises for PyTorch."))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"grader.commands.{name}").register(commands)
    for command in commands.choices.values():
        command.add_argument("--lang", choices=tuple(LANGUAGES), default=None,
                             help=_("language of the messages (default: CONVGRADE_LANG, else the locale)"))
        command.add_argument("--course", metavar="FILE", default=None,
                             help=_("the course file: its exercises, points, profile, seed and limits (default: "
                                    "CONVGRADE_COURSE, else convgrade.toml in this folder, else the built-in "
                                    "exercises)"))
    return parser


def early_options(argv: list[str]) -> argparse.Namespace:
    """The ``--lang`` and ``--course`` of a command line, read before the parser is built (its
    help is translated, and its defaults come from the course)."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang", default=None)
    early.add_argument("--course", default=None)
    return early.parse_known_args(argv)[0]


def language_option(argv: list[str]) -> str | None:
    """The ``--lang`` of a command line."""
    return early_options(argv).lang


def start(course_option: str | None) -> None:
    """Load the exercises (built-in and installed packs) and the course in force; a
    :class:`grader.engine.registry.RegistryError` or :class:`grader.course.CourseError` says what is wrong
    in one line."""
    registry.use_course(course.load(course_option))


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; its return value is the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        set_language(choose(language_option(argv)))
    except UnknownLanguage as exc:
        print(f"convgrade: {exc}", file=sys.stderr)
        return 2
    try:
        start(early_options(argv).course)
    except (registry.RegistryError, course.CourseError) as exc:
        print(f"convgrade: {exc}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
