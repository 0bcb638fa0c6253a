"""``convgrade release OUTDIR --grader-repo OWNER/NAME [--grader-ref SHA]``: write the student
repository (exercise stubs, the grader as source, README, CI workflow), verified to hold no
model answer. The repository speaks the language of the command (``--lang``): its README, and
the feedback of its ``pytest exercises/`` and of its CI."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from grader.i18n import _
from grader.release.bundle import build_release
from grader.release.leaks import LeakError
from grader.release.workflow import WORKFLOW_PATH, GraderPin
from grader.stubs import ROOT

SHIPPED = ("grader", "pyproject.toml", "constraints.txt")  # what student CI installs from the pin


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade release`` to the CLI."""
    parser = commands.add_parser("release", help=_("write the student repository (stubs, grader, README, CI)"),
                                 description=_("Write the student repository into OUTDIR: exercises/ (stubs "
                                               "generated from solutions/), the grader as installable source, a "
                                               "README with the points, and {workflow}, which grades every push "
                                               "with the grader of --grader-repo at --grader-ref. Refuses to write "
                                               "a repository holding any model answer.").format(workflow=WORKFLOW_PATH))
    parser.add_argument("outdir", type=Path, metavar="OUTDIR", help=_("a new (or empty) folder"))
    parser.add_argument("--grader-repo", required=True, metavar="OWNER/NAME",
                        help=_("the instructor's GitHub repository of this project, which student CI installs from"))
    parser.add_argument("--grader-ref", default=None, metavar="SHA",
                        help=_("the commit student CI installs (default: this checkout's HEAD)"))
    parser.set_defaults(run=run_release)


def run_release(args: argparse.Namespace) -> int:
    try:
        pin = GraderPin(args.grader_repo, args.grader_ref or _git("rev-parse", "HEAD"))
    except (ValueError, OSError, subprocess.CalledProcessError) as exc:
        why = str(exc) if isinstance(exc, ValueError) else _("no --grader-ref and no git HEAD")
        print(_("convgrade release: {error}").format(error=why), file=sys.stderr)
        return 2
    if args.grader_ref is None and _git("status", "--porcelain", "--", *SHIPPED):
        print(_("convgrade release: warning: {files} differ from {ref}, which student CI installs: commit, push "
                "and release again to grade with this grader").format(files=", ".join(SHIPPED), ref=pin.ref[:12]),
              file=sys.stderr)
    try:
        written = build_release(args.outdir, pin)
    except FileExistsError as exc:
        print(_("convgrade release: {error}").format(error=exc), file=sys.stderr)
        return 2
    except LeakError as exc:
        print(_("convgrade release: {error}\nnothing was written").format(error=exc), file=sys.stderr)
        return 1
    stubs = sum(p.parent.name == "exercises" and p.name.startswith("ex") for p in written)
    print(_("wrote the student repository to {folder} ({stubs} exercise stubs; CI grades with {repo}@{ref}); "
            "next: push it to GitHub as the students' template repository").format(
        folder=args.outdir, stubs=stubs, repo=pin.repo, ref=pin.ref[:12]))
    return 0
