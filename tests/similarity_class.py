"""A class written to test the similarity report: on ex01, two students who share one solution
(renamed variables, helpers reordered, one of them in a notebook), two independent correct
solutions written differently, a copy of the model answer with renamed variables, and students
who left the stub untouched."""

from __future__ import annotations

import json
import re
from pathlib import Path

from grader.stubs import make_stub
from tests.conftest import SOLUTIONS

EX01 = "ex01_cross_correlation"

SHARED = '''import torch


def window_sum(X, K, i, j):
    """One output entry: the window of X at (i, j) times K, summed."""
    kh, kw = K.shape
    patch = X[i:i + kh, j:j + kw]
    return (patch * K).sum()


def flipped(K):
    return K.flip(0).flip(1)


def cust_conv2d(X, K):
    rows = X.shape[0] - K.shape[0] + 1
    cols = X.shape[1] - K.shape[1] + 1
    out = torch.empty(rows, cols, dtype=X.dtype, device=X.device)
    for r in range(rows):
        for c in range(cols):
            out[r, c] = window_sum(X, K, r, c)
    return out


def true_conv2d(X, K):
    return cust_conv2d(X, flipped(K))
'''

SHARED_RENAMED_CELLS = [
    "import torch\n",
    '''def flip_both(kernel):
    # flip rows, then columns
    return kernel.flip(0).flip(1)
''',
    '''def cust_conv2d(X, K):
    """My cross-correlation."""
    height = X.shape[0] - K.shape[0] + 1
    width = X.shape[1] - K.shape[1] + 1
    result = torch.empty(height, width, dtype=X.dtype, device=X.device)
    for y in range(height):
        for x in range(width):
            result[y, x] = local_product(X, K, y, x)
    return result
''',
    '''def local_product(img, ker, y, x):
    a, b = ker.shape
    region = img[y:y + a, x:x + b]
    return (region * ker).sum()


def true_conv2d(X, K):
    return cust_conv2d(X, flip_both(K))
''',
    "print(cust_conv2d(torch.ones(3, 3), torch.ones(2, 2)))\n",
]
"""The shared solution, renamed and reordered, as a notebook's code cells."""

UNFOLDED = '''import torch


def cust_conv2d(X, K):
    """Valid cross-correlation with windows from Tensor.unfold."""
    kh, kw = K.shape
    windows = X.unfold(0, kh, 1).unfold(1, kw, 1)
    return torch.einsum("ijab,ab->ij", windows, K)


def true_conv2d(X, K):
    return cust_conv2d(X, torch.flip(K, dims=(0, 1)))
'''

SHIFTED = '''import torch


def cust_conv2d(X, K):
    # add up shifted copies of X, one per kernel entry
    h = X.shape[0] - K.shape[0] + 1
    w = X.shape[1] - K.shape[1] + 1
    Y = X.new_zeros((h, w))
    for a in range(K.shape[0]):
        for b in range(K.shape[1]):
            Y = Y + K[a, b] * X[a:a + h, b:b + w]
    return Y


def true_conv2d(X, K):
    K = torch.flip(K, [0, 1])
    return cust_conv2d(X, K)
'''

RENAMES = {"kh": "rows_k", "kw": "cols_k", "Y": "res", "i": "p", "j": "q"}


def model_answer_renamed() -> str:
    """The model answer of ex01 with its variables renamed."""
    source = (SOLUTIONS / f"{EX01}.py").read_text()
    for old, new in RENAMES.items():
        source = re.sub(rf"\b{old}\b", new, source)
    return source


def notebook(cells: list[str]) -> str:
    """A notebook (JSON) with one code cell per source."""
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": source} for source in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


STUBS = ("stu1", "stu2", "stu3")


def write_class(root: Path) -> Path:
    """The class as folders (and one notebook) under ``root/class``."""
    folders = {"amir": SHARED, "chen": UNFOLDED, "dara": SHIFTED, "eve": model_answer_renamed(),
               **{name: make_stub((SOLUTIONS / f"{EX01}.py").read_text()) for name in STUBS}}
    for name, source in folders.items():
        (root / "class" / name).mkdir(parents=True)
        (root / "class" / name / f"{EX01}.py").write_text(source)
    (root / "class" / "bea.ipynb").write_text(notebook(SHARED_RENAMED_CELLS))
    return root / "class"
