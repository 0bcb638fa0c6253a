"""The public authoring API: everything an exercise's catalog module may use, and nothing else.

The built-in catalog (``grader/catalog/exNN_*.py``) is written with exactly these names, and so
is an exercise pack (``docs/writing-exercises.md`` walks through one). A catalog module defines
module-level functions (references, strategies of calls, mistakes) and ends with one
:func:`register` call of an :class:`Exercise` record.

Records (frozen, validated when built: a typo fails at import)

* :class:`Exercise` ``(module, title, tasks, notes)``: one file of the course, ``exNN_name.py``;
  ``exNN`` is its pytest marker and its column in the tables, unique across the course.
* :class:`Task` ``(name, summary, checks, calls, reference, forbidden, examples, error_cases,
  mistakes, tolerance, hint, ...)``: one function (or class) the student writes.
* :class:`Call` ``(args, kwargs, label)``: one invocation; tensors are float64 CPU masters that
  each check converts (float32, float64, non-contiguous views, the chosen device).
* :class:`Check` ``(name, description, points, run)``: one graded test; ``run(task, ctx)``
  raises :class:`CheckFailed` carrying a :class:`Failure` on failure.
* :class:`ErrorCase` ``(call, why)``: an invalid input; the student must raise what the
  reference raises on it.
* :class:`Mistake` ``(name, hint, apply)``: a classic mistake, ``apply`` with the reference's
  signature returning what the mistaken code returns; a failing result equal to it is named.
* :class:`Tolerance` ``(float32=(rtol, atol), float64=(rtol, atol))``.

Checks (:mod:`grader.engine.checks`, as ``checks``): ``checks.standard()`` (float32 values against the
reference, float64 kept, non-contiguous inputs, inputs untouched), ``checks.matches_torch``,
``checks.keeps_float64``, ``checks.noncontiguous_inputs``, ``checks.inputs_unmodified``,
``checks.raises_like_torch``, ``checks.loop_free``, ``checks.property_check`` and
``checks.run_property`` for custom ones. Formula checks (:mod:`grader.engine.formulas`, as
``formulas``): ``formulas.proof``, ``formulas.exhaustive``, ``formulas.grid``.

Strategies (:mod:`grader.engine.strategies`, as ``strategies``): small composable hypothesis
strategies, valid by construction (``tensors(shape)``, ``sizes``, ``kernel_sides``, ``strides``,
``dilations``, ``channels``, ``batches``, ``pairs``, ``int_or_pair``, ``input_side``,
``matrix_and_kernel``); ``st`` is ``hypothesis.strategies``.

Judging helpers for custom checks: :class:`Variant`, :func:`judge_call`, :func:`prepare`,
:func:`reference_result`, :func:`refuse`, :func:`as_received`, :func:`compare`,
:func:`describe_type`, :func:`value_lines`, :class:`Context`; for class tasks (a network):
:func:`seeded`, :func:`forward`, :func:`fit`, :func:`named`; feedback windows: :class:`Window`,
:func:`spatial_window`, :func:`arguments`; messages: :func:`N_` (a record's English msgid,
translated where shown), :func:`_`, :func:`ngettext`.

Testing an exercise: :func:`grade_folder` grades a folder in this process (the model answer
must get full marks, a mistaken answer must fail with the mistake named); :func:`make_stub` is
the student stub of a model answer (``### BEGIN SOLUTION`` ... ``### END SOLUTION`` replaced).

Versioning: :data:`API_VERSION` is ``"MAJOR.MINOR"``. A minor version adds names; a major one
changes or removes some. A pack declares the version it is written against (``Pack.api``) and
is loaded when its major equals ours and its minor is at most ours (:func:`compatible`).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

from grader.engine import checks, formulas, registry, strategies
from grader.engine.checks import property_check, run_property
from grader.engine.compare import compare, describe_type
from grader.engine.context import Context
from grader.engine.exercise import Call, Check, ErrorCase, Exercise, Mistake, Task, Tolerance
from grader.engine.formulas import SYMBOLIC, nonnegative, positive
from grader.engine.judge import Variant, as_received, judge_call, prepare, reference_result, refuse
from grader.engine.modeltasks import fit, forward, named, seeded
from grader.engine.outcome import CheckFailed, CheckResult, Failure
from grader.engine.registry import register
from grader.engine.runner import Runner
from grader.engine.settings import Settings
from grader.engine.strategies import as_pair, int_or_pair, span, tensors
from grader.engine.window import Window, arguments, spatial_window
from grader.i18n import N_, _, ngettext
from grader.outputs.feedback import value_lines
from grader.packs import Pack
from grader.run.target import InProcessTarget
from grader.stubs import make_stub

API_VERSION = "1.0"
"""The version of this module's names and their semantics, ``"MAJOR.MINOR"``."""


def compatible(required: str, provided: str = API_VERSION) -> bool:
    """Whether code written against API ``required`` runs on API ``provided``: the same major
    version and a minor version no newer (``compatible("1.0", "1.2")`` is True,
    ``compatible("1.3", "1.2")`` and ``compatible("2.0", "1.2")`` are False)."""
    need_major, need_minor = _parse(required)
    have_major, have_minor = _parse(provided)
    return need_major == have_major and need_minor <= have_minor


def grade_folder(module: str, folder: str | Path, seed: int = 12345) -> dict[str, CheckResult]:
    """Every check of exercise ``module`` on ``folder`` (a submission in the contract's layout),
    keyed ``"task[check]"``: graded in this process, with the student profile and a fixed seed,
    for an exercise's own tests (``convgrade new`` writes one)."""
    runner = Runner(InProcessTarget(Path(folder)), Settings(profile="student", seed=seed))
    return {f"{r.task}[{r.check}]": r for r in runner.run_exercise(registry.get(module))}


def _parse(version: str) -> tuple[int, int]:
    major, dot, minor = version.partition(".")
    if not (major.isdigit() and (not dot or minor.isdigit())):
        raise ValueError(f"API version {version!r} must look like 1.0")
    return int(major), int(minor or 0)


__all__ = [
    "API_VERSION", "compatible",
    "Exercise", "Task", "Call", "Check", "ErrorCase", "Mistake", "Tolerance", "Pack", "register",
    "checks", "formulas", "strategies", "st",
    "property_check", "run_property",
    "Context", "CheckFailed", "CheckResult", "Failure", "grade_folder", "make_stub",
    "Variant", "as_received", "judge_call", "prepare", "reference_result", "refuse",
    "compare", "describe_type", "value_lines",
    "fit", "forward", "named", "seeded",
    "Window", "arguments", "spatial_window",
    "SYMBOLIC", "nonnegative", "positive",
    "as_pair", "int_or_pair", "span", "tensors",
    "N_", "_", "ngettext",
]
