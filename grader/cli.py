"""The ``convgrade`` command: one subcommand per module of :mod:`grader.commands`.

Exit status: 0 when the command completed (for ``grade``: whatever the scores), 2 for a usage
error, 1 when the grader itself failed.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

from grader.i18n import LANGUAGES, UnknownLanguage, _, choose, set_language
from grader.run import forkserver

COMMANDS = ("grade", "report", "similarity", "spec", "nbgrader", "release", "gradescope", "new")
"""Modules of grader.commands, in the order ``convgrade --help`` lists them."""


def build_parser(names: tuple[str, ...] = COMMANDS) -> argparse.ArgumentParser:
    """The ``convgrade`` parser with the subcommands ``names`` (default: all of :data:`COMMANDS`;
    each is imported to register it, and some import heavy libraries)."""
    parser = argparse.ArgumentParser(prog="convgrade", description=_("Auto-graded convolution exercises for PyTorch."))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in names:
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


def start(course_option: str | None) -> str | None:
    """Load the exercises (built-in and installed packs) and the course in force; None, or what
    is wrong in one line (a :class:`grader.engine.registry.RegistryError` or
    :class:`grader.course.CourseError`). Torch comes with the exercises: imported here, not with
    this module, so that ``grade`` starts its forkserver first (:func:`main`)."""
    from grader import course
    from grader.engine import registry

    try:
        registry.use_course(course.load(course_option))
    except (registry.RegistryError, course.CourseError) as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; its return value is the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        set_language(choose(language_option(argv)))
    except UnknownLanguage as exc:
        print(f"convgrade: {exc}", file=sys.stderr)
        return 2
    if grades_here(argv):
        forkserver.start()  # it imports torch while this process does
    problem = start(early_options(argv).course)
    if problem:
        print(f"convgrade: {problem}", file=sys.stderr)
        return 2
    gc.freeze()  # torch and the exercises live until the end: no collection goes through them again, at exit neither
    named = argv[:1] if argv[:1] and argv[0] in COMMANDS else COMMANDS  # only the command run is imported
    args = build_parser(tuple(named)).parse_args(argv)
    return args.run(args)


def grades_here(argv: list[str]) -> bool:
    """Whether the command line is ``grade`` with judges on this machine (not ``--executor
    ray``), read before the parser is built."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--executor", default="local")
    return argv[:1] == ["grade"] and early.parse_known_args(argv[1:])[0].executor == "local"


if __name__ == "__main__":
    sys.exit(main())
