"""``convgrade similarity SUBMISSION... [--html similarity.html] [--json] [--solutions DIR]``:
the pairs of submissions whose code is unusually similar for this class, per exercise
(:mod:`grader.similarity`), as one self-contained HTML page (:mod:`grader.outputs.similarity_page`)
and optionally as JSON on the standard output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from grader.i18n import _, ngettext
from grader.outputs.similarity_page import write_similarity
from grader.run.submissions import discover
from grader.similarity import SimilarityReport, compare_class
from grader.stubs import ROOT

DEFAULT_SOLUTIONS = ROOT / "solutions"


def add_solutions_option(parser: argparse.ArgumentParser) -> None:
    """``--solutions DIR``: the model answers compared with (and whose stubs are boilerplate)."""
    parser.add_argument("--solutions", type=Path, default=DEFAULT_SOLUTIONS, metavar="DIR",
                        help=_("the model answers (exNN_*.py with solution markers): compared with every submission, "
                               "their stubs ignored as boilerplate (default: {path})").format(path=DEFAULT_SOLUTIONS))


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade similarity`` to the CLI."""
    command = commands.add_parser("similarity", help=_("pairs of submissions with unusually similar code, as HTML"),
                                  description=_("Compare every pair of submissions, exercise by exercise (the stub "
                                                "and docstrings ignored, identifiers normalised), and flag the pairs "
                                                "whose similarity stands out of the class's distribution."))
    command.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                         help=_("a submission folder, a folder of submission folders or notebooks, or a .ipynb"))
    command.add_argument("--html", type=Path, default=Path("similarity.html"),
                         help=_("where to write the page (default: similarity.html)"))
    command.add_argument("--json", action="store_true", help=_("also print the scored pairs as JSON"))
    add_solutions_option(command)
    command.set_defaults(run=run_similarity)


def similarity_of(submissions: list[str], solutions: Path) -> SimilarityReport:
    """The similarity report of the submissions named on a command line; ValueError with a
    one-line reason when the model answers are missing."""
    if not any(solutions.glob("ex[0-9][0-9]_*.py")):
        raise ValueError(_("{path}: no model answers (exNN_*.py) to compare with").format(path=solutions))
    return compare_class(discover(submissions), solutions)


def as_json(report: SimilarityReport) -> dict[str, Any]:
    """The report's numbers: per exercise, the distribution and the pairs kept (flagged or most similar)."""
    return {"submissions": report.submissions, "skipped": report.skipped, "exercises": [
        {"module": e.module, "compared": sorted(e.pieces), "untouched": e.untouched, "pairs": e.pairs,
         "median": e.median, "scale": e.scale, "quantiles": e.quantiles,
         "top": [{"first": p.first, "second": p.second, "score": p.score, "rank": p.rank, "z": p.z,
                  "top_percent": p.top_percent, "flagged": p.flagged, "with_reference": p.with_reference}
                 for p in e.top]}
        for e in report.exercises]}


def run_similarity(args: argparse.Namespace) -> int:
    try:
        report = similarity_of(args.submissions, args.solutions)
    except ValueError as exc:
        print(_("convgrade: {error}").format(error=exc), file=sys.stderr)
        return 2
    written = write_similarity(report, args.html)
    if args.json:
        print(json.dumps(as_json(report), indent=1))
    flagged = len(report.flagged(False)) + len(report.flagged(True))
    print(ngettext("{flagged} pair flagged among {n} submissions; wrote {file}",
                   "{flagged} pairs flagged among {n} submissions; wrote {file}", flagged).format(
        flagged=flagged, n=len(report.submissions), file=written), file=sys.stderr if args.json else sys.stdout)
    return 0
