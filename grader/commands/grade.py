"""``convgrade grade SUBMISSION... [--out results.json] [--format json,csv,gradescope,junit]
[--jobs N] [--profile grading|student] [--seed S] [--device cpu|cuda|auto] [--timeout SECONDS]
[--memory MB] [--executor local|ray] [--ray-address ADDRESS] [--confinement on|strict|off]``: grade
a class in confined workers (on this machine, or on a Ray cluster), print the table, write the
results."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.batch import LocalExecutor, Plan, default_jobs, grade_class, results_document
from grader.engine import registry
from grader.engine.exercise import status_word
from grader.engine.settings import DEFAULT_SEED, DeviceUnavailable, Settings
from grader.i18n import _, current_language, ngettext
from grader.outputs.formats import FORMATS, write_all
from grader.packs import answers_exposed
from grader.ray_executor import RayExecutor, RayUnavailable
from grader.run import confine
from grader.run.limits import Limits
from grader.run.submissions import discover


def _formats(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(_("unknown format {name}: choose from {formats}").format(
            name=", ".join(unknown) or repr(text), formats=", ".join(FORMATS)))
    return names


def _positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_("{text} is not a number").format(text=repr(text))) from None
        if value <= 0:
            raise argparse.ArgumentTypeError(_("{text} must be positive").format(text=repr(text)))
        return value
    return parse


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``convgrade grade`` to the CLI."""
    grade = commands.add_parser("grade", help=_("grade submissions (folders, folders of folders, notebooks)"),
                                description=_("Grade submissions in isolated worker processes."))
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help=_("a submission folder, a folder of submission folders or notebooks, or a .ipynb"))
    grade.add_argument("--out", type=Path, default=Path("results.json"),
                       help=_("JSON results path (default: results.json)"))
    grade.add_argument("--format", type=_formats, default=["json"],
                       help=_("comma-separated: json,csv,gradescope,junit,html,github (others are written beside "
                              "--out; html: per-student feedback pages with pictures; github: a job summary and "
                              "annotations for GitHub Actions)"))
    grade.add_argument("--jobs", type=_positive(int), default=default_jobs(),
                       help=_("judges in parallel (default: cores)"))
    course = registry.current_course()  # its profile, seed and limits are the defaults
    grade.add_argument("--profile", choices=("grading", "student"),
                       default=getattr(course, "profile", None) or "grading",
                       help=_("grading (default): derandomized, more examples; student: fast"))
    grade.add_argument("--seed", type=int, default=getattr(course, "seed", None),
                       help=_("hypothesis seed (default {seed})").format(seed=DEFAULT_SEED))
    grade.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                       help=_("device inputs are created on (auto: cuda when available)"))
    grade.add_argument("--timeout", type=_positive(float),
                       default=getattr(course, "call_seconds", None) or Limits.call_seconds,
                       help=_("seconds one call may run (default {call:g}); an exercise may take 12x that, at "
                              "least {exercise:g} s").format(call=Limits.call_seconds,
                                                             exercise=Limits.exercise_seconds))
    grade.add_argument("--memory", type=_positive(int), default=getattr(course, "memory_mb", None) or Limits.memory_mb,
                       help=_("MB of memory a worker may allocate (default {memory})").format(memory=Limits.memory_mb))
    grade.add_argument("--executor", choices=("local", "ray"), default="local",
                       help=_("where the judges run: local (default: --jobs processes on this machine) or ray "
                              "(one task per submission on a Ray cluster's free CPUs; needs "
                              "pip install 'convgrade[ray]')"))
    grade.add_argument("--ray-address", metavar="ADDRESS", default=None,
                       help=_("the Ray cluster --executor ray grades on (default: RAY_ADDRESS, else a cluster "
                              "started on this machine with ray start, else a new local one)"))
    grade.add_argument("--confinement", choices=("on", "strict", "off"), default="on",
                       help=_("on (default): workers get all the confinement the kernel gives, and a warning names "
                              "what it lacks; strict (for exams): refuse to start unless all of it is in force; "
                              "off: no kernel confinement (only to measure what it costs)"))
    grade.set_defaults(run=run_grade)


def summary_table(records: list[dict]) -> Table:
    """One row per submission: each exercise's score ("-" when not submitted), the total, and
    what went wrong beyond wrong answers."""
    table = Table(box=box.SIMPLE_HEAD, title=_("convgrade results"))
    table.add_column(_("submission"))
    modules = [e.module for e in registry.all_exercises()]
    for module in modules:
        table.add_column(module[:4], justify="right")
    table.add_column(_("total"), justify="right")
    table.add_column(_("notes"))
    for record in records:
        cells = []
        notes = []
        for module in modules:
            ex = record["exercises"][module]
            cells.append("-" if ex["status"] == "not_submitted" else f"{ex['score']:g}")
            if ex["status"] not in ("passed", "failed", "not_submitted"):
                notes.append(f"{module[:4]} {status_word(ex['status'])}")
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
    exposed = answers_exposed(registry.packs(), confine.runtime_readable())
    if args.confinement == "strict" and exposed:
        print("convgrade: " + _("--confinement strict: the model answers of {packs} lie in site-packages, where a "
                                "submission can read them (install the pack editable: pip install -e DIR)").format(
            packs=", ".join(exposed)), file=sys.stderr)
        return 2
    missing = confine.probe().missing if args.confinement != "off" else ()
    if args.confinement == "strict" and missing:
        print("convgrade: " + _("--confinement strict: this kernel lacks {missing}").format(missing="; ".join(missing)),
              file=sys.stderr)
        return 2
    plan = Plan(settings, Limits(call_seconds=args.timeout, memory_mb=args.memory,
                               exercise_seconds=max(Limits.exercise_seconds, 12 * args.timeout),
                               confined=args.confinement != "off"),
                current_language(), registry.current_course())
    try:
        executor = RayExecutor(args.ray_address) if args.executor == "ray" else LocalExecutor(args.jobs)
    except RayUnavailable as exc:
        print(f"convgrade: {exc}", file=sys.stderr)
        return 2
    if args.ray_address and args.executor != "ray":
        print("convgrade: " + _("--ray-address needs --executor ray"), file=sys.stderr)
        return 2
    sources = discover(args.submissions)
    err = Console(stderr=True)
    start = time.monotonic()
    with Progress(TextColumn(_("grading")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("", total=len(sources))
        try:
            records = grade_class(sources, plan, progress=lambda r: bar.update(task, advance=1, description=r["name"]),
                                  executor=executor)
        except RayUnavailable as exc:
            print(f"convgrade: {exc}", file=sys.stderr)
            return 2
    document = results_document(records, plan)
    if plan.course is not None:
        document["course"] = plan.course.record()
    written = write_all(document, args.out, args.format)
    Console(width=160).print(summary_table(records))
    print(ngettext("graded {n} submission in {seconds:.1f} s (profile {profile}, seed {seed}, device {device}); "
                   "wrote {files}",
                   "graded {n} submissions in {seconds:.1f} s (profile {profile}, seed {seed}, device {device}); "
                   "wrote {files}", len(records)).format(
        n=len(records), seconds=time.monotonic() - start, profile=settings.profile, seed=settings.seed,
        device=settings.device, files=", ".join(str(p) for p in written)))
    if args.confinement == "off":
        print(_("warning: --confinement off: the submissions ran without the kernel's confinement"), file=sys.stderr)
    elif missing:
        print(_("warning: confinement incomplete, this kernel lacks {missing}").format(missing="; ".join(missing)),
              file=sys.stderr)
    if exposed:
        print(_("warning: the model answers of {packs} lie in site-packages, where a submission can read them: "
                "install the pack editable from your course repository (pip install -e DIR)").format(
            packs=", ".join(exposed)), file=sys.stderr)
    return 1 if any(r.get("grader_failed") for r in records) else 0
