"""The floor any isolated grader pays: the same checks as ``convgrade grade``, on the same
submissions, graded in-process (no worker, no confinement, no transport, no forkserver) by as
many processes as ``convgrade grade`` runs judges, with the same settings (the grading profile,
its seed, the inputs kept per run by :mod:`grader.engine.replay`).

``python -m benchmarks.floor FOLDER --out FILE`` grades every submission folder of FOLDER and
writes ``{submission: {module: [check records]}}`` (the records of the results JSON), so the
benchmark can check that the floor graded exactly what convgrade did.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

from grader.engine import registry
from grader.batch import check_records, default_jobs
from grader.engine.runner import Runner
from grader.engine.settings import Settings, use_one_thread
from grader.run.target import InProcessTarget

SETTINGS = Settings.make("grading")


def grade_in_process(unit: tuple[str, str]) -> tuple[str, str, list[dict[str, Any]]]:
    """The check records of one exercise of one submission folder, graded in this process."""
    folder, module = unit
    results = Runner(InProcessTarget(folder), SETTINGS).run_exercise(registry.get(module))
    return folder, module, check_records(list(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args(argv)
    modules = [e.module for e in registry.all_exercises()]
    units = [(str(folder), module) for folder in sorted(args.folder.iterdir()) for module in modules
             if (folder / f"{module}.py").is_file()]
    use_one_thread()
    graded: dict[str, dict[str, list]] = {}
    with multiprocessing.get_context("fork").Pool(args.jobs, initializer=use_one_thread) as pool:
        for folder, module, checks in pool.imap_unordered(grade_in_process, units):
            graded.setdefault(Path(folder).name, {})[module] = checks
    args.out.write_text(json.dumps(graded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
