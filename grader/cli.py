"""The ``convgrade`` command: one subcommand per module of :mod:`grader.commands`.

Exit status: 0 when the command completed (for ``grade``: whatever the scores), 2 for a usage
error, 1 when the grader itself failed.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("grade", "report", "spec", "nbgrader", "release", "gradescope")
"""Modules of grader.commands, in the order ``convgrade --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The ``convgrade`` parser with every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="convgrade", description="Auto-graded convolution exercises for PyTorch.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"grader.commands.{name}").register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; its return value is the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
