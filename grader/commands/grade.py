"""``convgrade grade SUBMISSION... [--out results.json] [--format json,csv,gradescope,junit]
[--jobs N] [--profile grading|student] [--seed S] [--device cpu|cuda|auto] [--timeout SECONDS]
[--memory MB]``: grade a class in isolated workers, print the table, write the results."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader import registry
from grader.batch import Plan, default_jobs, grade_class, results_document
from grader.formats import FORMATS, write_all
from grader.sandbox import Limits
from grader.settings import DEFAULT_SEED, DeviceUnavailable, Settings
from grader.submissions import discover


def _formats(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown) or text!r}: choose from {', '.join(FORMATS)}")
    return names


def _positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be positive")
        return value
    return parse


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade grade`` to the CLI."""
    grade = commands.add_parser("grade", help="grade submissions (folders, folders of folders, notebooks)",
                                description="Grade submissions in isolated worker processes.")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="a submission folder, a folder of submission folders or notebooks, or a .ipynb")
    grade.add_argument("--out", type=Path, default=Path("results.json"), help="JSON results path (default: results.json)")
    grade.add_argument("--format", type=_formats, default=["json"],
                       help="comma-separated: json,csv,gradescope,junit,html,github (others are written beside --out; "
                            "html: per-student feedback pages with pictures; github: a job summary and "
                            "annotations for GitHub Actions)")
    grade.add_argument("--jobs", type=_positive(int), default=default_jobs(), help="judges in parallel (default: cores)")
    grade.add_argument("--profile", choices=("grading", "student"), default="grading",
                       help="grading (default): derandomized, more examples; student: fast")
    grade.add_argument("--seed", type=int, default=None, help=f"hypothesis seed (default {DEFAULT_SEED})")
    grade.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                       help="device inputs are created on (auto: cuda when available)")
    grade.add_argument("--timeout", type=_positive(float), default=Limits.call_seconds,
                       help=f"seconds one call may run (default {Limits.call_seconds:g}); an exercise may take "
                            f"12x that, at least {Limits.exercise_seconds:g} s")
    grade.add_argument("--memory", type=_positive(int), default=Limits.memory_mb,
                       help=f"MB of memory a worker may allocate (default {Limits.memory_mb})")
    grade.set_defaults(run=run_grade)


def summary_table(records: list[dict]) -> Table:
    """One row per submission: each exercise's score ("-" when not submitted), the total, and
    what went wrong beyond wrong answers."""
    table = Table(box=box.SIMPLE_HEAD, title="convgrade results")
    table.add_column("submission")
    modules = [e.module for e in registry.all_exercises()]
    for module in modules:
        table.add_column(module[:4], justify="right")
    table.add_column("total", justify="right")
    table.add_column("notes")
    for record in records:
        cells = []
        notes = []
        for module in modules:
            ex = record["exercises"][module]
            cells.append("-" if ex["status"] == "not_submitted" else f"{ex['score']:g}")
            if ex["status"] not in ("passed", "failed", "not_submitted"):
                notes.append(f"{module[:4]} {ex['status']}")
        note = record.get("problem") or ", ".join(notes)
        table.add_row(record["name"], *cells, f"{record['score']:g}/{record['max_score']:g}", note[:60])
    return table


def run_grade(args: argparse.Namespace) -> int:
    """Grade, print the table, write the results; 0 when grading completed."""
    try:
        settings = Settings.make(args.profile, args.seed, args.device)
    except DeviceUnavailable as exc:
        print(f"convgrade: {exc}", file=sys.stderr)
        return 2
    plan = Plan(settings, Limits(call_seconds=args.timeout, memory_mb=args.memory,
                               exercise_seconds=max(Limits.exercise_seconds, 12 * args.timeout)))
    sources = discover(args.submissions)
    err = Console(stderr=True)
    start = time.monotonic()
    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("", total=len(sources))
        records = grade_class(sources, plan, args.jobs,
                              progress=lambda r: bar.update(task, advance=1, description=r["name"]))
    document = results_document(records, plan)
    written = write_all(document, args.out, args.format)
    Console(width=160).print(summary_table(records))
    print(f"graded {len(records)} submission(s) in {time.monotonic() - start:.1f} s "
          f"(profile {settings.profile}, seed {settings.seed}, device {settings.device}); "
          f"wrote {', '.join(str(p) for p in written)}")
    return 1 if any(r.get("grader_failed") for r in records) else 0
