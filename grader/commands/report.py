"""``convgrade report RESULTS [--html report.html] [--feedback DIR]``: the class report of a
results JSON (written by ``convgrade grade``) as one self-contained HTML page, and optionally
one feedback page per student."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from grader.feedback_html import write_feedback_html
from grader.report import summarise, write_report


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade report`` to the CLI."""
    report = commands.add_parser("report", help="the class report of a results JSON, as HTML",
                                 description="Write the class report (pass rates, scores, common mistakes, "
                                             "students who need attention) of a results JSON as one HTML file.")
    report.add_argument("results", type=Path, metavar="RESULTS", help="a results JSON written by convgrade grade")
    report.add_argument("--html", type=Path, default=Path("report.html"),
                        help="where to write the report (default: report.html)")
    report.add_argument("--feedback", type=Path, default=None, metavar="DIR",
                        help="also write one feedback page per submission (and an index.html) into DIR")
    report.set_defaults(run=run_report)


def load_results(path: Path) -> dict[str, Any]:
    """The results document at ``path``; ValueError with a one-line reason when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file (write one with: convgrade grade SUBMISSION... --out {path})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a results JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("submissions"), list):
        raise ValueError(f"{path}: not a results JSON (it has no list of submissions)")
    return document


def run_report(args: argparse.Namespace) -> int:
    try:
        document = load_results(args.results)
    except ValueError as exc:
        print(f"convgrade: {exc}", file=sys.stderr)
        return 2
    written = [write_report(document, args.html)]
    if args.feedback is not None:
        written.append(write_feedback_html(document, args.feedback))
    report = summarise(document)
    print(f"{report.submissions} submission(s), {len(report.attention)} need attention; "
          f"wrote {', '.join(str(p) for p in written)}")
    return 0
