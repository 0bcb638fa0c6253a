"""What ``convgrade new exNN_name`` writes: a one-exercise pack that passes its own test.

The layout is the example pack's (``examples/packs/convgrade-conv1d``)::

    convgrade-exNN-name/
        pyproject.toml                      # the entry point convgrade.exercises
        convgrade_exNN_name/__init__.py     # the Pack record
        convgrade_exNN_name/exNN_name.py    # the catalog: reference, strategy, mistake, the Exercise
        convgrade_exNN_name/solutions/exNN_name.py   # the model answer
        exercises/exNN_name.py              # the student stub, generated from the model answer
        tests/test_exNN_name.py             # the answer passes, the named mistake fails, the stub is current

The exercise it starts from is a placeholder with every part an exercise needs (a moving sum
over a 1-D signal, by hand): the instructor replaces its reference, strategy, mistakes and
answer with their own, keeping the test green.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from grader.api import API_VERSION
from grader.stubs import make_stub

NAME = re.compile(r"ex\d\d_[a-z][a-z0-9_]*")

PYPROJECT = Template('''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "A convgrade exercise pack: $module"
requires-python = ">=3.10"
dependencies = ["convgrade"]

[project.entry-points."convgrade.exercises"]
$task = "$package:PACK"

[tool.setuptools]
packages = ["$package"]

[tool.setuptools.package-data]
$package = ["solutions/*.py"]
''')

INIT = Template('''\
"""$distribution: a convgrade exercise pack ($module)."""

from pathlib import Path

from grader.api import Pack

PACK = Pack(
    name="$distribution",
    api="$api",
    catalog=("$package.$module",),
    solutions=Path(__file__).resolve().parent / "solutions",
)
''')

CATALOG = Template('''\
"""$module: a placeholder exercise to make your own. $task(x, k) is the moving sum of a 1-D
signal: x (L,), k an int with 1 <= k <= L -> (L - k + 1,), entry i = x[i] + ... + x[i + k - 1].

Replace the reference, the strategy, the mistakes and the texts (keep the N_() around every
text a student reads), then the model answer in solutions/$module.py, and run the tests.
"""

from __future__ import annotations

from typing import Any

import torch

from grader.api import Call, Exercise, Mistake, N_, Task, checks, register, st, tensors


def reference_$task(x: torch.Tensor, k: int) -> torch.Tensor:
    """(L,), k -> (L - k + 1,): the sum of each window of k neighbours (float64, CPU)."""
    return x.unfold(0, k, 1).sum(-1)


def mistake_one_window_too_few(x: torch.Tensor, k: int) -> torch.Tensor:
    """Loops over range(L - k) instead of range(L - k + 1): the last window is missing."""
    return reference_$task(x, k)[:-1]


MISTAKES = (
    Mistake(N_("one window too few"), N_("there are L - k + 1 windows: range(L - k + 1)"), mistake_one_window_too_few),
)


@st.composite
def calls(draw: Any) -> Call:
    """The window first, then a signal at least that long: valid by construction."""
    k = draw(st.integers(1, 4))
    x = draw(tensors((draw(st.integers(k, k + 6)),)))
    return Call((x, k))


register(Exercise(
    module="$module",
    title=N_("$title"),
    notes=N_(r"""The moving sum adds each window of $$k$$ neighbours: $$y_i = \\sum_{a=0}^{k-1} x_{i+a}$$."""),
    tasks=(
        Task(
            name="$task",
            summary=N_("the moving sum of x (L,) over windows of k samples"),
            calls=calls,
            reference=reference_$task,
            examples=(Call((torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64), 2),
                           label=N_("[1, 2, 3, 4], k=2")),),
            checks=checks.standard(),
            mistakes=MISTAKES,
            hint=N_("y[i] = x[i:i + k].sum() for i in range(L - k + 1)"),
        ),
    ),
))
''')

SOLUTION = Template('''\
"""$title."""

import torch


def $task(x: torch.Tensor, k: int) -> torch.Tensor:
    """x (L,), 1 <= k <= L -> (L - k + 1,): entry i is x[i] + x[i + 1] + ... + x[i + k - 1], in x's dtype."""
    $begin
    return torch.stack([x[i:i + k].sum() for i in range(x.shape[0] - k + 1)])
    $end
''')

TEST = Template('''\
"""$module grades as it should: the model answer gets full marks, the catalogued mistake is failed
and named, and the stub in exercises/ is the one the model answer generates."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))  # the pack, installed or not

import $package.$module  # noqa: E402  (registers the exercise, once)
from grader.api import grade_folder, make_stub  # noqa: E402

SOLUTIONS = HERE / "$package" / "solutions"


def test_model_answer_gets_full_marks():
    results = grade_folder("$module", SOLUTIONS)
    assert results and all(r.passed for r in results.values()), {k: r.message for k, r in results.items()}


def test_named_mistake_is_failed_and_named(tmp_path):
    (tmp_path / "$module.py").write_text(
        "from $package.$module import mistake_one_window_too_few as $task\\n")
    results = grade_folder("$module", tmp_path)
    failed = [r for r in results.values() if not r.passed]
    assert failed and "one window too few" in {r.failure.mistake for r in failed}


def test_stub_is_generated_from_the_model_answer():
    solution = (SOLUTIONS / "$module.py").read_text()
    assert (HERE / "exercises" / "$module.py").read_text() == make_stub(solution)
''')


def scaffold(module: str, into: Path) -> list[Path]:
    """Write the pack of one new exercise ``module`` (``exNN_name``) under ``into``; the files
    written, the pack's folder first. ValueError for a bad name or an existing folder."""
    if not NAME.fullmatch(module):
        raise ValueError(module)
    task = module[5:]
    package = f"convgrade_{module}"
    names = dict(module=module, task=task, package=package, distribution=package.replace("_", "-"),
                 title=task.replace("_", " ").capitalize(), api=API_VERSION,
                 begin="### BEGIN SOLUTION", end="### END SOLUTION")  # not in this file: a release carries it
    root = into / names["distribution"]
    if root.exists():
        raise FileExistsError(root)
    solution = SOLUTION.substitute(names)
    files = {
        "pyproject.toml": PYPROJECT.substitute(names),
        f"{package}/__init__.py": INIT.substitute(names),
        f"{package}/{module}.py": CATALOG.substitute(names),
        f"{package}/solutions/{module}.py": solution,
        f"exercises/{module}.py": make_stub(solution),
        f"tests/test_{module}.py": TEST.substitute(names),
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return [root, *(root / relative for relative in files)]
