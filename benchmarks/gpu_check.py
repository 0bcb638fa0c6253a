"""``scripts/gpu-check``: the same checks on CUDA and on the CPU, timed side by side.

Runs ``pytest exercises/ --submission solutions`` and ``convgrade grade examples/class`` once
per device, prints a table of seconds and the CUDA/CPU ratio, and compares the two class
results score by score (TF32 must not change a grade). Exit status 1 when CUDA is missing, a
solution fails on either device, or a score differs.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from benchmarks.bench import BIN, ROOT, timed


def main() -> int:
    if not torch.cuda.is_available():
        print("gpu-check: no CUDA device is available on this machine", file=sys.stderr)
        return 1
    out = Path(os.environ.get("OUT", ROOT / "build" / "gpu-check"))
    out.mkdir(parents=True, exist_ok=True)
    rows, scores, ok = [], {}, True
    for device in ("cpu", "cuda"):
        seconds, done = timed([str(BIN / "pytest"), "exercises/", "--submission", "solutions", "-q",
                               "--device", device, "--profile", "grading"])
        ok &= done.returncode == 0
        rows.append(("pytest exercises/ --submission solutions", device, seconds, done.stdout.strip().splitlines()[-1]))
        results = out / f"class-{device}.json"
        seconds, done = timed([str(BIN / "convgrade"), "grade", "examples/class", "--device", device,
                               "--out", str(results)])
        ok &= done.returncode == 0
        rows.append(("convgrade grade examples/class", device, seconds, done.stdout.strip().splitlines()[-1][:60]))
        document = json.loads(results.read_text())
        scores[device] = {s["name"]: {m: e["score"] for m, e in s["exercises"].items()} for s in document["submissions"]}
    same = scores["cpu"] == scores["cuda"]
    table = Table(title=f"gpu-check {datetime.date.today()} on {torch.cuda.get_device_name(0)} "
                        f"(torch {torch.__version__}, {platform.node()})")
    for column in ("what", "device", "seconds", "cuda / cpu", "result"):
        table.add_column(column)
    for what, device, seconds, result in rows:
        cpu = next(s for w, d, s, _ in rows if w == what and d == "cpu")
        table.add_row(what, device, f"{seconds:.1f}", f"{seconds / cpu:.2f}x" if device == "cuda" else "", result)
    Console(width=160).print(table)
    print("class scores identical on cpu and cuda" if same else f"SCORES DIFFER: cpu {scores['cpu']} cuda {scores['cuda']}")
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
