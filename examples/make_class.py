"""Writes the bundled sample class, ``examples/class/``, from the model answers.

Each student is a list of exercise files: a model answer as it is, a model answer with a
classic bug edited in (an exact text replacement, checked to apply), or code of its own
(a hang, a crash, the notes' listings). One student hands in a notebook. Run
``python examples/make_class.py`` after changing a solution; a test fails when the committed
class differs from what this writes.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTES = ROOT / "grader" / "ledger" / "listings"
CLASS = ROOT / "examples" / "class"


def answer(module: str, *edits: tuple[str, str]) -> str:
    """The model answer of ``module`` with each (old, new) edit applied exactly once."""
    text = (SOLUTIONS / f"{module}.py").read_text()
    for old, new in edits:
        if text.count(old) != 1:
            raise ValueError(f"{module}: the edit {old!r} does not match exactly once")
        text = text.replace(old, new)
    return text


def without(module: str, *names: str) -> str:
    """The model answer of ``module`` with the named top-level functions left out (a student
    who handed in part of an exercise)."""
    text = (SOLUTIONS / f"{module}.py").read_text()
    lines = text.splitlines(keepends=True)
    found = [n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name in names]
    if len(found) != len(names):
        raise ValueError(f"{module}: not every one of {names} is a top-level function")
    for node in sorted(found, key=lambda n: n.lineno, reverse=True):
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        del lines[start:node.end_lineno]
    return re.sub(r"\n{3,}", "\n\n\n", "".join(lines)).rstrip("\n") + "\n"


HANGS = '''import torch


def cust_conv2d(X, K):
    """Waits for the answer to come to it."""
    while True:
        pass


def true_conv2d(X, K):
    return cust_conv2d(X, K.flip(0, 1))
'''

CRASHES = '''import ctypes

import torch


def pad2d(X, padding, mode="zeros"):
    return ctypes.string_at(0)  # reads address 0: a segmentation fault


def same_padding(kernel_size, dilation=1):
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def conv2d_strided(X, K, stride=1, padding=0, dilation=1):
    import os
    os._exit(1)
'''

CALLS_CONV2D = '''import torch
import torch.nn.functional as F


def cust_conv2d(X, K):
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def true_conv2d(X, K):
    return F.conv2d(X[None, None], K.flip(0, 1)[None, None])[0, 0]
'''

SYNTAX_ERROR = '''import torch


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros")
    return input
'''


def notes_listing(name: str) -> str:
    """One of the notes' listings as the student typed it in (its demo lines included)."""
    return (NOTES / name).read_text()


def notebook(*modules: str) -> str:
    """A notebook whose code cells are these model answers, one cell each, after a Markdown cell."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# My convolution homework"]}]
    for module in modules:
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                      "source": (SOLUTIONS / f"{module}.py").read_text().splitlines(keepends=True)})
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                   "language": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def students() -> dict[str, dict[str, str]]:
    """Student -> file name -> text."""
    everything = {p.name: p.read_text() for p in sorted(SOLUTIONS.glob("ex[0-9][0-9]_*.py"))}
    flipped = answer("ex01_cross_correlation", ("(X[i:i + kh, j:j + kw] * K).sum()",
                                                "(X[i:i + kh, j:j + kw] * K.flip(0, 1)).sum()"))
    return {
        "ada_complete": everything,
        "ben_partial": {f"{m}.py": answer(m) for m in ("ex01_cross_correlation", "ex03_padding_stride", "ex04_shapes")},
        "chen_flipped_kernel": {"ex01_cross_correlation.py": flipped, "ex09_receptive_field.py": answer("ex09_receptive_field")},
        "dana_true_division": {"ex04_shapes.py": answer(
            "ex04_shapes", ("return (n + 2 * padding - span) // stride + 1", "return (n + 2 * padding - span) / stride + 1"),
            ("return (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1",
             "return (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding"))},
        "eli_notes_listings": {"ex01_cross_correlation.py": notes_listing("ex01_cross_correlation.py"),
                               "ex05_channels.py": notes_listing("ex05_channels.py")},
        "fay_hangs": {"ex01_cross_correlation.py": HANGS, "ex04_shapes.py": answer("ex04_shapes")},
        "gus_crashes": {"ex03_padding_stride.py": CRASHES, "ex01_cross_correlation.py": answer("ex01_cross_correlation")},
        "hana_calls_conv2d": {"ex01_cross_correlation.py": CALLS_CONV2D, "ex08_pooling.py": answer("ex08_pooling")},
        "jo_syntax_error": {"ex06_conv2d.py": SYNTAX_ERROR, "ex09_receptive_field.py": answer("ex09_receptive_field")},
        "kim_notes_cnnnet": {"ex10_cnnnet.py": notes_listing("ex10_cnnnet.py"), "ex11_fcn.py": answer("ex11_fcn")},
        "mo_half_exercises": {"ex01_cross_correlation.py": without("ex01_cross_correlation", "true_conv2d"),
                              "ex05_channels.py": without("ex05_channels", "conv2d_1x1")},
        "lee_pooling_bugs": {
            "ex08_pooling.py": answer("ex08_pooling", ("step = kernel if stride is None else pair(stride)",
                                                       "step = (1, 1) if stride is None else pair(stride)")),
            "ex09_receptive_field.py": answer("ex09_receptive_field", ("size += (span - 1) * jump",
                                                                       "size += (span - 1) * stride")),
        },
    }


def write(target: Path = CLASS) -> None:
    if target.exists():
        shutil.rmtree(target)
    for student, files in students().items():
        folder = target / student
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text)
    (target / "ivan_notebook.ipynb").write_text(notebook("ex01_cross_correlation", "ex09_receptive_field"))


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else CLASS)
