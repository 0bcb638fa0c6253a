"""``convgrade release OUTDIR --grader-repo OWNER/NAME [--grader-ref SHA]``: write the student
repository (exercise stubs, the grader as source, README, CI workflow), verified to hold no
model answer."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from grader.release.bundle import build_release
from grader.release.leaks import LeakError
from grader.release.workflow import WORKFLOW_PATH, GraderPin
from grader.stubs import ROOT

SHIPPED = ("grader", "pyproject.toml", "constraints.txt")  # what student CI installs from the pin


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade release`` to the CLI."""
    parser = commands.add_parser("release", help="write the student repository (stubs, grader, README, CI)",
                                 description="Write the student repository into OUTDIR: exercises/ (stubs generated "
                                 "from solutions/), the grader as installable source, a README with the points, and "
                                 f"{WORKFLOW_PATH}, which grades every push with the grader of --grader-repo at "
                                 "--grader-ref. Refuses to write a repository holding any model answer.")
    parser.add_argument("outdir", type=Path, metavar="OUTDIR", help="a new (or empty) folder")
    parser.add_argument("--grader-repo", required=True, metavar="OWNER/NAME",
                        help="the instructor's GitHub repository of this project, which student CI installs from")
    parser.add_argument("--grader-ref", default=None, metavar="SHA",
                        help="the commit student CI installs (default: this checkout's HEAD)")
    parser.set_defaults(run=run_release)


def run_release(args: argparse.Namespace) -> int:
    try:
        pin = GraderPin(args.grader_repo, args.grader_ref or _git("rev-parse", "HEAD"))
    except (ValueError, OSError, subprocess.CalledProcessError) as exc:
        print(f"convgrade release: {exc if isinstance(exc, ValueError) else 'no --grader-ref and no git HEAD'}",
              file=sys.stderr)
        return 2
    if args.grader_ref is None and _git("status", "--porcelain", "--", *SHIPPED):
        print(f"convgrade release: warning: {', '.join(SHIPPED)} differ from {pin.ref[:12]}, which student CI "
              "installs: commit, push and release again to grade with this grader", file=sys.stderr)
    try:
        written = build_release(args.outdir, pin)
    except FileExistsError as exc:
        print(f"convgrade release: {exc}", file=sys.stderr)
        return 2
    except LeakError as exc:
        print(f"convgrade release: {exc}\nnothing was written", file=sys.stderr)
        return 1
    stubs = sum(p.parent.name == "exercises" and p.name.startswith("ex") for p in written)
    print(f"wrote the student repository to {args.outdir} ({stubs} exercise stubs; CI grades with "
          f"{pin.repo}@{pin.ref[:12]}); next: push it to GitHub as the students' template repository")
    return 0
