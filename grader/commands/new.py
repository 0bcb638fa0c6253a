"""``convgrade new exNN_name [--into DIR]``: scaffold a one-exercise pack (catalog module, model
answer, generated stub, and a test that the answer passes and a named mistake fails), and print
the next steps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.engine import registry
from grader.i18n import _
from grader.scaffold import NAME, scaffold


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade new`` to the CLI."""
    parser = commands.add_parser("new", help=_("scaffold a new exercise as a pack of its own"),
                                 description=_("Write a new exercise pack into DIR: a catalog module with one task, "
                                               "its model answer, the student stub generated from it, and a test "
                                               "that the answer passes and a named mistake fails."))
    parser.add_argument("module", metavar="exNN_name", help=_("the exercise's file name without .py, e.g. "
                                                               "ex23_batch_norm"))
    parser.add_argument("--into", type=Path, default=Path("."), metavar="DIR",
                        help=_("the folder the pack's folder is written in (default: the current folder)"))
    parser.set_defaults(run=run_new)


def run_new(args: argparse.Namespace) -> int:
    if not NAME.fullmatch(args.module):
        print(_("convgrade new: {name} must look like ex23_batch_norm (ex, two digits, _, lower-case name)")
              .format(name=args.module), file=sys.stderr)
        return 2
    taken = [e.module for e in registry.known() if e.marker == args.module[:4]]
    if taken:
        print(_("convgrade new: {marker} is taken by {module}: choose another number").format(
            marker=args.module[:4], module=taken[0]), file=sys.stderr)
        return 2
    try:
        root, *_files = scaffold(args.module, args.into)
    except FileExistsError as exc:
        print(_("convgrade new: {folder} exists: choose another name or folder").format(folder=exc.args[0]),
              file=sys.stderr)
        return 2
    print(_("wrote the pack {folder}. Next:\n"
            "  1. run its test: pytest {folder}/tests\n"
            "  2. make the exercise yours: the reference, strategy, mistakes and texts in {catalog}, the model "
            "answer in {solution}; then regenerate the stub: python -m grader.stubs --pack {folder}\n"
            "  3. install it: pip install -e {folder}\n"
            "  4. add {module} to course.exercises in your course's convgrade.toml").format(
        folder=root, module=args.module, catalog=root / f"convgrade_{args.module}" / f"{args.module}.py",
        solution=root / f"convgrade_{args.module}" / "solutions" / f"{args.module}.py"))
    return 0
