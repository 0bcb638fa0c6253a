"""convgrade's speed targets, measured in one run and printed as one table.

Each row is a command timed end to end (wall clock, as a student or instructor waits for it)
and compared with its budget from the issues, or with a baseline measured in the same run
(nbgrader's autograde of the same checks). Run with ``benchmarks/run``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
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
    reference: float  # a budget, or a baseline measured in this run
    reference_kind: str  # "budget" or "baseline: <what>"
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.reference / self.seconds if self.seconds else float("inf")


def timed(command: list[str], cwd: Path = ROOT) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
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
    seconds, done = timed([str(BIN / "convgrade"), "grade", "examples/class", "--out", str(workdir / "class.json")])
    return [Row("convgrade grade examples/class", seconds, 60.0, "budget", last_line(done))]


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


def ray_rows(workdir: Path, folder: Path, n: int, what: str, local_seconds: float) -> list[Row]:
    """``--executor ray`` on a fresh local Ray instance (its start included) against the local
    executor on the same ``n`` submissions (``workdir/local.json``), whose results it must match."""
    if importlib.util.find_spec("ray") is None:
        print(f"no --executor ray row for {what}: Ray is not installed (pip install 'convgrade[ray]')")
        return []
    seconds = grade_timed(folder, workdir / "ray.json", "--executor", "ray", "--ray-address", "local")
    submissions = [json.loads((workdir / f"{name}.json").read_text())["submissions"] for name in ("local", "ray")]
    assert submissions[0] == submissions[1], f"{what}: --executor ray and --executor local disagree"
    return [Row(f"{what}, --executor ray (local Ray instance)", seconds / n, local_seconds / n,
                "baseline: --executor local, same batch",
                f"ray {per_minute_per_core(n, seconds)}, local {per_minute_per_core(n, local_seconds)}")]


def throughput_rows(workdir: Path, n: int) -> list[Row]:
    """The same ex01 checks on ``n`` submissions: convgrade grade against nbgrader autograde, and
    ``--executor ray`` against the local executor."""
    students = generated_class(n)
    for student, code in students.items():
        (workdir / "class" / student).mkdir(parents=True)
        (workdir / "class" / student / f"{EX01}.py").write_text(code)
    course = nbgrader_course(workdir, students)
    nbgrader_seconds = nbgrader(course, "autograde", EX01, "--create")
    seconds = grade_timed(workdir / "class", workdir / "local.json")
    return [Row(f"grading {n} ex01 submissions, seconds per submission", seconds / n, nbgrader_seconds / n,
                "baseline: nbgrader autograde, same checks", f"convgrade {seconds:.1f} s, nbgrader {nbgrader_seconds:.1f} s"),
            *ray_rows(workdir, workdir / "class", n, f"grading {n} ex01 submissions", seconds)]


def complete_rows(workdir: Path, n: int) -> list[Row]:
    """``n`` complete submissions (the model answers: every exercise, every check, grading
    profile), graded by each executor: the submissions per minute per core of the README."""
    for i in range(n):
        folder = workdir / "complete" / f"student{i:03d}"
        folder.mkdir(parents=True)
        for path in (ROOT / "solutions").glob("ex*.py"):
            shutil.copy(path, folder / path.name)
    seconds = grade_timed(workdir / "complete", workdir / "local.json")
    return ray_rows(workdir, workdir / "complete", n, f"grading {n} complete submissions", seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8, help="generated submissions for the throughput row")
    parser.add_argument("--complete", type=int, default=0, metavar="N",
                        help="also grade N complete submissions with each executor (the README's per-core figures)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="convgrade-bench-"))
    try:
        rows = student_rows() + class_rows(workdir) + throughput_rows(workdir, args.submissions)
        if args.complete:
            rows += complete_rows(workdir, args.complete)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table = Table(title="convgrade benchmarks (wall clock, this machine)")
    for column in ("what", "seconds", "budget / baseline", "ratio", "result"):
        table.add_column(column, justify="right" if column in ("seconds", "ratio") else "left")
    for row in rows:
        table.add_row(row.name, f"{row.seconds:.2f}", f"{row.reference:.2f} s ({row.reference_kind})",
                      f"{row.ratio:.2f}x", row.note[:60])
    Console(width=150).print(table)
    print("ratio = budget or baseline seconds / measured seconds (above 1: within budget, or faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
