"""``convgrade report RESULTS [--html report.html] [--feedback DIR] [--submissions SUBMISSION...]``:
the class report of a results JSON (written by ``convgrade grade``) as one self-contained HTML
page, with a section on similar submissions when the submissions are given, and optionally one
feedback page per student."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from grader.commands.similarity import add_solutions_option, similarity_of
from grader.i18n import _
from grader.outputs.feedback_html import write_feedback_html
from grader.outputs.report import summarise, write_report


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade report`` to the CLI."""
    report = commands.add_parser("report", help=_("the class report of a results JSON, as HTML"),
                                 description=_("Write the class report (pass rates, scores, common mistakes, "
                                               "students who need attention) of a results JSON as one HTML file."))
    report.add_argument("results", type=Path, metavar="RESULTS", help=_("a results JSON written by convgrade grade"))
    report.add_argument("--html", type=Path, default=Path("report.html"),
                        help=_("where to write the report (default: report.html)"))
    report.add_argument("--feedback", type=Path, default=None, metavar="DIR",
                        help=_("also write one feedback page per submission (and an index.html) into DIR"))
    report.add_argument("--submissions", nargs="+", default=None, metavar="SUBMISSION",
                        help=_("the graded submissions: adds a section on similar submissions "
                               "(see convgrade similarity)"))
    add_solutions_option(report)
    report.set_defaults(run=run_report)


def load_results(path: Path) -> dict[str, Any]:
    """The results document at ``path``; ValueError with a one-line reason when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(_("{path}: no such file (write one with: convgrade grade SUBMISSION... --out {path})")
                         .format(path=path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(_("{path}: not a results JSON ({error})").format(path=path, error=exc)) from None
    if not isinstance(document, dict) or not isinstance(document.get("submissions"), list):
        raise ValueError(_("{path}: not a results JSON (it has no list of submissions)").format(path=path))
    return document


def run_report(args: argparse.Namespace) -> int:
    try:
        document = load_results(args.results)
        similarity = similarity_of(args.submissions, args.solutions) if args.submissions else None
    except ValueError as exc:
        print(_("convgrade: {error}").format(error=exc), file=sys.stderr)
        return 2
    written = [write_report(document, args.html, similarity)]
    if args.feedback is not None:
        written.append(write_feedback_html(document, args.feedback))
    report = summarise(document)
    print(_("{submissions} submission(s), {attention} need attention; wrote {files}").format(
        submissions=report.submissions, attention=len(report.attention), files=", ".join(str(p) for p in written)))
    return 0
