"""convgrade's speed targets, measured in one run and printed as one table.

Each row is a command timed end to end (wall clock, as a student or instructor waits for it)
and compared with its budget from the issues, or with a baseline measured in the same run
(nbgrader's autograde of the same checks). The batch rows are also graded with
``--executor ray`` (a fresh local Ray instance, its start included), in their own column,
compared with the local executor's time in the same run; both must give the same results.
The confinement rows time a worker entering its sandbox (:mod:`grader.run.confine`), and the
sample class graded with confinement on and off. The similarity row times ``convgrade similarity`` on generated complete submissions against
grading the same submissions in the same run (on a sample when grading them all would take
too long, extrapolated per submission; the row says which). Run with ``benchmarks/run``
(``benchmarks/run --only similarity --similarity 300`` for that row alone).

The throughput rows (``--only throughput``) compare the stubs' run with the bare imports it
pays, the generated ex01 class with nbgrader and with the in-process floor
(:mod:`benchmarks.floor`, which must grade it identically; the median of alternate runs), and
``--complete N`` complete submissions; ``--profile-batch`` prints where a batch's time goes instead
(:mod:`grader.engine.timings`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader.batch import default_jobs

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EX01_TO_05 = "ex01 or ex02 or ex03 or ex04 or ex05"


@dataclass
class Row:
    name: str
    seconds: float
    reference: float | None  # a budget, or a baseline measured in this run (None: neither)
    reference_kind: str  # "budget" or "baseline: <what>"
    note: str = ""
    ray_seconds: float | None = None  # the same batch with --executor ray (None: not measured)

    @staticmethod
    def _ratio(reference: float | None, seconds: float | None) -> str:
        return "-" if reference is None or not seconds else f"{reference / seconds:.2f}x"

    @property
    def ratio(self) -> str:
        return self._ratio(self.reference, self.seconds)

    @property
    def ray_ratio(self) -> str:
        """Local seconds / ray seconds (above 1: Ray is faster)."""
        return self._ratio(self.seconds, self.ray_seconds)


def timed(command: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None
          ) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, done


def last_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return lines[-1].strip("= ") if lines else done.stderr.strip()[-80:]


def student_rows() -> list[Row]:
    """The student front-end: stubs fail fast, solutions pass within the issues' budgets."""
    pytest = [str(BIN / "pytest"), "exercises/", "-q", "-p", "no:randomly"]
    rows = []
    seconds, done = timed(pytest + ["-m", EX01_TO_05])
    rows.append(Row("stubs ex01-ex05: pytest exercises/", seconds, 6.0, "budget", last_line(done)))
    seconds, done = timed(pytest)
    rows.append(Row("stubs, all exercises", seconds, 8.0, "budget", last_line(done)))
    seconds, done = timed(pytest + ["--submission", "solutions", "-m", EX01_TO_05])
    rows.append(Row("solutions ex01-ex05", seconds, 15.0, "budget", last_line(done)))
    seconds, done = timed(pytest + ["--submission", "solutions"])
    rows.append(Row("solutions, all exercises", seconds, 40.0, "budget", last_line(done)))
    return rows


def class_rows(workdir: Path) -> list[Row]:
    seconds, done = timed([str(BIN / "convgrade"), "grade", "examples/class", "--out", str(workdir / "local.json")])
    off, _ = timed([str(BIN / "convgrade"), "grade", "examples/class", "--out", str(workdir / "off.json"),
                    "--confinement", "off"])
    return [Row("convgrade grade examples/class", seconds, 60.0, "budget", last_line(done),
                ray_timed(workdir, ROOT / "examples" / "class")),
            Row("the same, confinement on (--confinement off: baseline)", seconds, off,
                "baseline: --confinement off", f"off {off:.1f} s, on {seconds:.1f} s")]


def confinement_seconds(confined: bool) -> float:
    """Seconds from a fresh fork of this (torch-loaded) process until the sandboxed process can
    run student code: confine.enter (namespaces, two forks, Landlock, seccomp), or only setsid."""
    from grader.run import confine
    policy = confine.worker_policy(tempfile.gettempdir())
    read, write = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            if confined:
                confine.enter(policy)
            else:
                os.setsid()
            os.write(write, repr(time.perf_counter() - start).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        seconds = float(answer.read())
    os.waitpid(pid, 0)
    return seconds


def confinement_rows(repeat: int = 20) -> list[Row]:
    """What a worker spends entering its confinement, against a fork with no confinement."""
    from grader.run import confine
    confine.probe()  # as in the forkserver: probed once, not per worker
    on = sorted(confinement_seconds(True) for _ in range(repeat))[repeat // 2]
    off = sorted(confinement_seconds(False) for _ in range(repeat))[repeat // 2]
    return [Row(f"a worker entering its confinement (median of {repeat})", on, 0.010, "budget",
                f"{(on - off) * 1000:.1f} ms more than a bare fork ({off * 1000:.1f} ms); "
                f"{confine.probe().record()['filesystem']}")]


EX01 = "ex01_cross_correlation"
FLIP = ("(X[i:i + kh, j:j + kw] * K).sum()", "(X[i:i + kh, j:j + kw] * K.flip(0, 1)).sum()")


def generated_class(n: int) -> dict[str, str]:
    """``n`` ex01 submissions: every other one has the kernel flipped."""
    answer = (ROOT / "solutions" / f"{EX01}.py").read_text()
    return {f"student{i:03d}": answer.replace(*FLIP) if i % 2 else answer for i in range(n)}


def nbgrader_course(workdir: Path, students: dict[str, str]) -> Path:
    """An nbgrader course of ex01 (``convgrade nbgrader``), released, with each student's code
    in the answer cells of the released notebook."""
    import nbformat

    from grader.notebook import cells

    course = workdir / "course"
    done = subprocess.run([str(BIN / "convgrade"), "nbgrader", str(course), "--exercise", EX01],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    nbgrader(course, "generate_assignment", EX01, "--create")
    source = nbformat.read(course / "source" / EX01 / f"{EX01}.ipynb", as_version=4)
    answers = {cells.grade_id(c): c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for student, code in students.items():
        nb = nbformat.read(course / "release" / EX01 / f"{EX01}.ipynb", as_version=4)
        for cell in nb.cells:
            if cells.grade_id(cell) in answers:
                cell.source = answers[cells.grade_id(cell)]
                if code != (ROOT / "solutions" / f"{EX01}.py").read_text():
                    cell.source = cell.source.replace(*FLIP)
        folder = course / "submitted" / student / EX01
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{EX01}.ipynb")
    return course


def nbgrader(course: Path, *argv: str) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "nbgrader"), *argv], cwd=course, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return time.perf_counter() - start


def per_minute_per_core(n: int, seconds: float) -> str:
    return f"{n / seconds * 60 / default_jobs():.1f}/min/core"


def grade_timed(folder: Path, out: Path, *options: str) -> float:
    """Seconds ``convgrade grade FOLDER --out OUT OPTIONS...`` takes (it must succeed)."""
    seconds, done = timed([str(BIN / "convgrade"), "grade", str(folder), "--out", str(out), *options])
    assert done.returncode == 0, done.stderr
    return seconds


def ray_timed(workdir: Path, folder: Path) -> float | None:
    """Seconds ``--executor ray`` takes on a fresh local Ray instance (its start included) for
    ``folder``, whose results must match the local executor's (``workdir/local.json``); None
    when Ray is not installed."""
    if importlib.util.find_spec("ray") is None:
        print("no --executor ray column: Ray is not installed (pip install 'convgrade[ray]')")
        return None
    seconds = grade_timed(folder, workdir / "ray.json", "--executor", "ray", "--ray-address", "local")
    submissions = [json.loads((workdir / f"{name}.json").read_text())["submissions"] for name in ("local", "ray")]
    assert submissions[0] == submissions[1], f"{folder}: --executor ray and --executor local disagree"
    return seconds


def write_generated_class(folder: Path, n: int) -> dict[str, str]:
    """:func:`generated_class` written as ``folder/studentNNN/ex01_cross_correlation.py``."""
    students = generated_class(n)
    for student, code in students.items():
        (folder / student).mkdir(parents=True)
        (folder / student / f"{EX01}.py").write_text(code)
    return students


FLOOR_RUNS = 3
"""convgrade and the floor run alternately this many times; the rows take the medians (one run
of each swings by a tenth from minute to minute on a shared machine)."""


def throughput_rows(workdir: Path, n: int) -> list[Row]:
    """The same ex01 checks on ``n`` submissions: convgrade grade against nbgrader autograde, and
    ``--executor ray`` against the local executor; and against the floor (:mod:`benchmarks.floor`:
    the same checks in-process, no isolation), which must grade them identically (the median of
    :data:`FLOOR_RUNS` alternate runs of each)."""
    students = write_generated_class(workdir / "class", n)
    course = nbgrader_course(workdir, students)
    nbgrader_seconds = nbgrader(course, "autograde", EX01, "--create")
    runs, floors = [], []
    for _ in range(FLOOR_RUNS):
        runs.append(grade_timed(workdir / "class", workdir / "local.json"))
        floor, done = timed([str(BIN / "python"), "-m", "benchmarks.floor", str(workdir / "class"),
                             "--out", str(workdir / "floor.json")])
        assert done.returncode == 0, done.stderr
        assert_floor_agrees(workdir / "local.json", workdir / "floor.json")
        floors.append(floor)
    seconds, floor = statistics.median(runs), statistics.median(floors)
    ray_seconds = ray_timed(workdir, workdir / "class")
    return [Row(f"grading {n} ex01 submissions, seconds per submission", seconds / n, nbgrader_seconds / n,
                "baseline: nbgrader autograde, same checks", f"convgrade {seconds:.1f} s, nbgrader {nbgrader_seconds:.1f} s",
                None if ray_seconds is None else ray_seconds / n),
            Row(f"the same {n}, against the in-process floor (no isolation)", seconds / n, floor / n,
                "baseline: benchmarks/floor.py", f"convgrade {seconds:.1f} s, floor {floor:.1f} s, "
                f"{seconds / floor:.2f}x the floor (median of {FLOOR_RUNS}; each: "
                + ", ".join(f"{r / f:.2f}x" for r, f in zip(runs, floors)) + ")")]


def assert_floor_agrees(results: Path, floor: Path) -> None:
    """The floor's check records are the results JSON's, submission by submission."""
    graded = json.loads(floor.read_text())
    for record in json.loads(results.read_text())["submissions"]:
        for module, checks in graded[record["name"]].items():
            assert record["exercises"][module]["checks"] == checks, f"{record['name']} {module}: the floor disagrees"


def imports_row() -> Row:
    """The stubs against the imports any run of them pays (torch, hypothesis, sympy, pytest),
    measured in the same run (the median of 3 each, after one run that leaves the grader's
    bytecode cached, as Python does by default: the libraries' is cached when they are
    installed, so PYTHONDONTWRITEBYTECODE is unset for both)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    stubs = [str(BIN / "pytest"), "exercises/", "-q", "-p", "no:randomly"]
    timed(stubs, env=env)
    bare = sorted(timed([str(BIN / "python"), "-c", "import torch, hypothesis, sympy, pytest"], env=env)[0]
                  for _ in range(3))[1]
    seconds, done = sorted((timed(stubs, env=env) for _ in range(3)), key=lambda run: run[0])[1]
    return Row("stubs, all exercises, against the bare imports (median of 3)", seconds, bare,
               "baseline: python -c 'import torch, hypothesis, sympy, pytest'",
               f"{seconds / bare:.2f}x the imports; {last_line(done)}")


def profile_batch(workdir: Path, n: int) -> None:
    """Where the wall time of grading ``n`` generated ex01 submissions goes (the judges' buckets,
    :mod:`grader.engine.timings`, summed over the judges; the rest of the judges' wall time, before and
    between their exercises, is the run's start-up: the forkserver, the judges' start, the wait
    for the last exercise), printed as a table."""
    from grader.engine import timings
    from grader.batch import LocalExecutor, Plan, Work
    from grader.run.limits import Limits
    from grader.engine.settings import Settings
    from grader.run.submissions import discover

    write_generated_class(workdir / "profile", n)
    work = [Work(source, (EX01,)) for source in discover([str(workdir / "profile")])]
    jobs = default_jobs()
    spent = dict.fromkeys(timings.BUCKETS, 0.0)
    start = time.perf_counter()
    for graded in LocalExecutor(jobs).grade(work, Plan(Settings.make("grading"), Limits())):
        for bucket, seconds in (graded.timings or {}).items():
            spent[bucket] += seconds
    wall = time.perf_counter() - start
    spent[timings.STARTUP] += max(0.0, wall * jobs - sum(spent.values()))
    table = Table(title=f"where the time goes: {n} ex01 submissions, {jobs} judges, {wall:.1f} s wall")
    for column in ("bucket", "judge seconds", "share of wall time"):
        table.add_column(column, justify="left" if column == "bucket" else "right")
    for bucket in timings.BUCKETS:
        table.add_row(bucket, f"{spent[bucket]:.2f}", f"{spent[bucket] / (wall * jobs):.0%}")
    Console(width=120).print(table)


def complete_rows(workdir: Path, n: int) -> list[Row]:
    """``n`` complete submissions (the model answers: every exercise, every check, grading
    profile), graded by each executor: the submissions per minute per core of the README."""
    for i in range(n):
        folder = workdir / "complete" / f"student{i:03d}"
        folder.mkdir(parents=True)
        for path in (ROOT / "solutions").glob("ex*.py"):
            shutil.copy(path, folder / path.name)
    seconds = grade_timed(workdir / "complete", workdir / "local.json")
    ray_seconds = ray_timed(workdir, workdir / "complete")
    rates = f"local {per_minute_per_core(n, seconds)}" + ("" if ray_seconds is None else
                                                           f", ray {per_minute_per_core(n, ray_seconds)}")
    return [Row(f"grading {n} complete submissions, seconds per submission", seconds / n, None, "", rates,
                None if ray_seconds is None else ray_seconds / n)]


def renamed_solutions(student: int) -> dict[str, str]:
    """The model answers, each local name suffixed with the student's number: complete,
    different text for every student, and the worst case for the similarity report (every
    pair shares everything once identifiers are normalised)."""
    import re

    return {path.name: re.sub(r"\b(kh|kw|Y|i|j|out|x|h|w|n|k)\b", rf"\g<1>_{student}", path.read_text())
            for path in sorted((ROOT / "solutions").glob("ex*.py"))}


def similarity_rows(workdir: Path, n: int, graded: int) -> list[Row]:
    """``n`` generated complete submissions: ``convgrade similarity`` on all of them, against
    grading measured in the same run on ``graded`` of them (all when ``graded >= n``) and, if
    fewer, extrapolated per submission to ``n``."""
    for i in range(n):
        folder = workdir / "similar" / f"student{i:03d}"
        folder.mkdir(parents=True)
        for name, text in renamed_solutions(i).items():
            (folder / name).write_text(text)
    seconds, done = timed([str(BIN / "convgrade"), "similarity", str(workdir / "similar"),
                           "--html", str(workdir / "similarity.html")])
    assert done.returncode == 0, done.stderr
    sample = workdir / "similar-sample"
    sample.mkdir()
    graded = min(graded, n)
    for i in range(graded):
        shutil.copytree(workdir / "similar" / f"student{i:03d}", sample / f"student{i:03d}")
    grading = grade_timed(sample, workdir / "sample.json") * n / graded
    how = "measured" if graded == n else f"measured on {graded}, extrapolated x{n / graded:g}"
    return [Row(f"similarity of {n} complete submissions vs grading them ({how})", seconds, grading,
                f"baseline: convgrade grade, {how}", f"similarity {seconds:.1f} s, grading {grading:.0f} s")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8, help="generated submissions for the throughput row")
    parser.add_argument("--complete", type=int, default=0, metavar="N",
                        help="also grade N complete submissions with each executor (the README's per-core figures)")
    parser.add_argument("--similarity", type=int, default=300, metavar="N",
                        help="generated complete submissions for the similarity row (default 300)")
    parser.add_argument("--similarity-graded", type=int, default=8, metavar="M",
                        help="of those, how many to grade for the row's baseline (the rest extrapolated per "
                             "submission; default 8)")
    parser.add_argument("--only", choices=("all", "similarity", "throughput"), default="all",
                        help="similarity: run the similarity row alone; throughput: the rows of throughput "
                             "(stubs against the bare imports, nbgrader, the floor, --complete)")
    parser.add_argument("--profile-batch", action="store_true",
                        help="print where the time of grading --submissions ex01 submissions goes, and stop")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="convgrade-bench-"))
    try:
        if args.profile_batch:
            profile_batch(workdir, args.submissions)
            return 0
        rows = []
        if args.only == "all":
            rows += student_rows() + confinement_rows() + class_rows(workdir)
        if args.only in ("all", "throughput"):
            rows += [imports_row()] + throughput_rows(workdir, args.submissions)
            if args.complete:
                rows += complete_rows(workdir, args.complete)
        if args.only in ("all", "similarity"):
            rows += similarity_rows(workdir, args.similarity, args.similarity_graded)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table = Table(title="convgrade benchmarks (wall clock, this machine)")
    for column in ("what", "seconds", "budget / baseline", "ratio", "--executor ray", "ray vs local", "result"):
        table.add_column(column, justify="left" if column in ("what", "budget / baseline", "result") else "right")
    for row in rows:
        reference = "-" if row.reference is None else f"{row.reference:.2f} s ({row.reference_kind})"
        ray = "-" if row.ray_seconds is None else f"{row.ray_seconds:.2f}"
        table.add_row(row.name, f"{row.seconds:.2f}", reference, row.ratio, ray, row.ray_ratio, row.note[:100])
    Console(width=190).print(table)
    print("ratio = budget or baseline seconds / measured seconds (above 1: within budget, or faster); "
          "ray vs local = local seconds / --executor ray seconds, same batch, same results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
