"""Student stubs generated from the model answers: one source, nbgrader's markers.

In ``solutions/exNN_*.py`` every answer sits between ``### BEGIN SOLUTION`` and
``### END SOLUTION``; the stub keeps everything else and replaces each answer with a
``raise NotImplementedError`` at the same indentation.

    python -m grader.stubs            # write exercises/ from solutions/
    python -m grader.stubs --check    # exit 1 if exercises/ has drifted from solutions/
    python -m grader.stubs --pack DIR # the same for an exercise pack: DIR/exercises/ from DIR/*/solutions/
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
STUB_LINE = 'raise NotImplementedError("not implemented yet")'
ROOT = Path(__file__).resolve().parent.parent


def make_stub(source: str) -> str:
    """The student's version of a solution file."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), 1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise ValueError(f"line {number}: BEGIN SOLUTION inside a solution")
            inside = True
            indent = begin.group(1)
            out += [f"{indent}# YOUR CODE HERE", f"{indent}{STUB_LINE}"]
        elif END.match(line):
            if not inside:
                raise ValueError(f"line {number}: END SOLUTION without BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("BEGIN SOLUTION never ended")
    return "\n".join(out) + "\n"


def solution_files(root: Path = ROOT, pack: bool = False) -> list[Path]:
    """The model answers, ``solutions/exNN_*.py``, in order; with ``pack``, those of the exercise
    pack whose folder is ``root`` (``root/<package>/solutions/exNN_*.py``)."""
    return sorted(root.glob(f"{'*/' if pack else ''}solutions/ex[0-9][0-9]_*.py"))


def course_solution_files(root: Path = ROOT) -> list[Path]:
    """The model answers of the course's exercises (:func:`grader.engine.registry.all_exercises`) that
    exist, in its order: a built-in's in ``root/solutions``, a pack's in the pack's solutions folder."""
    from grader.engine import registry
    paths = [registry.solution_file(e.module, root / "solutions") for e in registry.all_exercises()]
    return [p for p in paths if p.is_file()]


def drifted(root: Path = ROOT, pack: bool = False) -> list[str]:
    """Exercise files that are missing or differ from what the solutions generate (``pack``: of
    the exercise pack in ``root``)."""
    bad = []
    for path in solution_files(root, pack):
        stub = root / "exercises" / path.name
        if not stub.exists() or stub.read_text() != make_stub(path.read_text()):
            bad.append(stub.name)
    return bad


def main(argv: list[str] | None = None) -> int:
    """Write the stubs, or with ``--check`` report drift (exit 1)."""
    parser = argparse.ArgumentParser(prog="python -m grader.stubs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 when there is any")
    parser.add_argument("--pack", type=Path, default=None, metavar="DIR",
                        help="an exercise pack's folder: DIR/exercises/ from DIR/<package>/solutions/")
    args = parser.parse_args(argv)
    root, pack = (args.pack, True) if args.pack else (ROOT, False)
    if args.check:
        bad = drifted(root, pack)
        if bad:
            print("exercises/ is out of date with solutions/ for: " + ", ".join(bad)
                  + "\nrun: python -m grader.stubs" + (f" --pack {args.pack}" if pack else ""))
            return 1
        return 0
    (root / "exercises").mkdir(exist_ok=True)
    for path in solution_files(root, pack):
        (root / "exercises" / path.name).write_text(make_stub(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
