"""``convgrade spec [--json] [--markdown PATH] [--claim ID]...``: check every claim of the
course notes against torch and print the ledger (a table, or JSON); optionally write it as
Markdown (the committed page is docs/spec-ledger.md).

Exit status: 0 when every verifier ran (whatever the verdicts: a refuted claim is a finding
about the notes), 1 when a verifier itself failed, 2 for an unknown claim id.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from grader.i18n import _
from grader.ledger import render
from grader.ledger.claims import CLAIMS
from grader.ledger.run import run_claims


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade spec`` to the CLI."""
    spec = commands.add_parser("spec", help=_("check the course notes' claims against torch (the spec ledger)"),
                               description=_("Check each claim and code listing of the course notes against torch "
                                             "with sympy, exhaustive ranges and hypothesis, and print the verdicts."))
    spec.add_argument("--json", action="store_true", help=_("print the ledger as JSON instead of the table"))
    spec.add_argument("--markdown", type=Path, metavar="PATH",
                      help=_("also write the ledger as Markdown (the committed page: {command})").format(
                          command=render.MARKDOWN_COMMAND))
    spec.add_argument("--claim", action="append", metavar="ID", default=None,
                      help=_("check only this claim (repeatable); ids are listed in the table"))
    spec.set_defaults(run=run_spec)


def run_spec(args: argparse.Namespace) -> int:
    known = {c.id: c for c in CLAIMS}
    unknown = [i for i in args.claim or () if i not in known]
    if unknown:
        print(_("convgrade spec: no claim {unknown}; known: {known}").format(
            unknown=", ".join(map(repr, unknown)), known=", ".join(known)), file=sys.stderr)
        return 2
    claims = [known[i] for i in args.claim] if args.claim else list(CLAIMS)
    err = Console(stderr=True)
    start = time.monotonic()
    with Progress(TextColumn(_("checking")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("", total=len(claims))
        entries = run_claims(claims, starting=lambda claim: bar.update(task, description=claim.id),
                             done=lambda entry: bar.update(task, advance=1))
    seconds = time.monotonic() - start
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(render.markdown(entries), encoding="utf-8")
    if args.json:
        print(json.dumps(render.document(entries), ensure_ascii=False, indent=2))
    else:
        Console(width=160).print(render.table(entries))
        timing = _("{summary} ({seconds} s; wrote {path})") if args.markdown else _("{summary} ({seconds} s)")
        print(timing.format(summary=render.summary(entries), seconds=f"{seconds:.1f}", path=args.markdown))
    return 1 if any(e.verdict.status == "error" for e in entries) else 0
