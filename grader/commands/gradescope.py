"""``convgrade gradescope OUTDIR``: write ``OUTDIR/autograder.zip``, the Gradescope autograder
(setup.sh, run_autograder and the grader as source), verified to hold no model answer. The
autograder writes its feedback in the language of the command (``--lang``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.i18n import _
from grader.release.gradescope import build_autograder
from grader.release.leaks import LeakError


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade gradescope`` to the CLI."""
    parser = commands.add_parser("gradescope", help=_("write the Gradescope autograder zip"),
                                 description=_("Write OUTDIR/autograder.zip for a Gradescope programming assignment: "
                                               "setup.sh installs the grader with the pinned versions, run_autograder "
                                               "grades each submission with the grading profile and writes "
                                               "results.json (a test per check)."))
    parser.add_argument("outdir", type=Path, metavar="OUTDIR",
                        help=_("folder for autograder.zip (created if needed)"))
    parser.set_defaults(run=run_gradescope)


def run_gradescope(args: argparse.Namespace) -> int:
    try:
        path = build_autograder(args.outdir)
    except LeakError as exc:
        print(_("convgrade gradescope: {error}\nnothing was written").format(error=exc), file=sys.stderr)
        return 1
    print(_("wrote {path}: upload it as the assignment's autograder").format(path=path))
    return 0
