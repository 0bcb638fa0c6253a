"""Grading size formulas (ex04): every small configuration against torch, and a sympy proof.

A formula task is graded in two ways, by the checks this module makes:

* :func:`exhaustive` calls the student's function on every configuration of a small grid of
  integers on which torch accepts the arguments, smallest configuration first, and compares the
  result with the size torch actually produces (the task's reference), as an int.
* :func:`proof` calls it once more with sympy integer symbols in place of the numbers and proves
  the expression it returns equal to the reference formula. Where sympy cannot decide, the
  expression is evaluated on small integers instead: a correct formula written in a way sympy
  cannot simplify passes (with a warning saying so); only a counterexample fails it.

Both call the student's function through the context's target, so they work unchanged when the
submission runs in another process.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import numbers
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import sympy
import torch

from grader.engine import replay
from grader.engine.compare import compare, describe_type
from grader.engine.context import Context
from grader.engine.exercise import Call, Check, Task
from grader.engine.judge import reference_result, refuse_forbidden
from grader.engine.outcome import CheckFailed, Failure
from grader.i18n import N_, _, ngettext

SYMBOLIC = N_("sympy integer symbols")  # the label of a symbolic call in feedback
FLOORDIV_HINT = N_("write sizes with +, -, * and // only: a // b is floor(a / b) on Python ints and on "
                    "sympy symbols alike")
NO_NUMBER = N_("math.floor, math.ceil, int(), round() and float() need a number, so a formula built on "
               "them cannot be proved for all sizes at once")
NO_TRUTH_VALUE = N_("with symbols a comparison (if, max, min on sizes) has no truth value: branch only on "
                    "flags such as ceil_mode or bias, and keep the size itself one expression")
TRUE_DIVISION_MISTAKE = N_("/ instead of //")  # the name a catalogue gives this mistake, so the proof names it too
TRUE_DIVISION = N_("a size must be an int; / gives a float on ints and a fraction on symbols, so the formula "
                   "cannot be proved; use // (floor division)")
MAX_SIMPLIFY_OPS = 60  # larger differences are not given to sympy.simplify
SEARCH_RANGE = 4  # the counterexample search gives each symbol this many values (1.. or 0..)


class UnprovenFormula(UserWarning):
    """A formula that sympy could not prove equal to the reference, but that no small
    configuration contradicts: it passes, and this warning says how it was checked."""


def positive(name: str) -> sympy.Symbol:
    """An integer symbol >= 1 (sizes, kernels, strides, dilations, channels, groups)."""
    return sympy.Symbol(name, integer=True, positive=True)


def nonnegative(name: str) -> sympy.Symbol:
    """An integer symbol >= 0 (paddings)."""
    return sympy.Symbol(name, integer=True, nonnegative=True)


def magnitude(call: Call) -> int:
    """The sum of the numbers in a call (None counts 0): what "smallest configuration" means."""
    def total(value: Any) -> int:
        if isinstance(value, (tuple, list)):
            return sum(total(v) for v in value)
        return int(value) if isinstance(value, numbers.Integral) else 0

    return total(call.args) + total(list(call.kwargs.values()))


def grid(reference: Callable[..., Any], **space: Sequence[Any]) -> tuple[Call, ...]:
    """Every call of a function shaped like ``reference`` over the product of ``space``'s values
    on which ``reference`` (torch) raises nothing, smallest first. Parameters without a default
    go positionally, the others by keyword, left out where they equal their default (so the grid
    also checks the student's defaults)."""
    parameters = inspect.signature(reference).parameters.values()
    required = [p.name for p in parameters if p.default is inspect.Parameter.empty]
    defaults = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
    calls = []
    for values in itertools.product(*space.values()):
        chosen = dict(zip(space, values))
        call = Call(tuple(chosen[name] for name in required),
                    {k: v for k, v in chosen.items() if k in defaults and v != defaults[k]})
        try:
            reference(*call.args, **call.kwargs)
        except (RuntimeError, ValueError):  # torch refuses this configuration: not part of the domain
            continue
        calls.append(call)
    return tuple(sorted(calls, key=magnitude))


CALL_EACH = "grader.engine.formulas:call_each"


def call_each(fn: Callable[..., Any], calls: Sequence[tuple[tuple, dict[str, Any]]]) -> list[tuple]:
    """Runs inside the target: ``fn`` on each ``(args, kwargs)``, one reply per call:
    ``("value", result)`` or ``("raised", exception type, message)``. One round trip for a whole
    grid, so a grid of thousands of calls costs little even when the submission runs in another
    process. A NotImplementedError is let through: it is a stub's, and ends the task."""
    replies: list[tuple] = []
    for args, kwargs in calls:
        try:
            replies.append(("value", fn(*args, **kwargs)))
        except NotImplementedError:
            raise
        except Exception as exc:  # the student's code may raise anything; the judge reports it
            message = str(exc).strip()
            replies.append(("raised", type(exc).__qualname__, message.splitlines()[0][:300] if message else ""))
    return replies


def exhaustive(name: str, description: str, points: float, calls: Callable[[], Iterable[Call]]) -> Check:
    """A check that the student's function gives the reference's (torch's) result on every call
    of ``calls()``; the first (smallest) difference is the one reported. The calls (and their
    references) are computed once per process (:func:`grader.engine.replay.remember`). The task's
    first pinned example is called alone first: only a stub's "not implemented" ends the task
    there (whatever else it gives, the grid decides), so a stub costs no grid."""
    kept = functools.cache(lambda: replay.remember(tuple(calls())))

    def run(task: Task, ctx: Context) -> None:
        if task.examples:  # an untouched stub ends the task here, before the grid is built (torch tries each)
            first = task.examples[0]
            ctx.run_procedure(CALL_EACH, task, ([(first.args, dict(first.kwargs))],))
        todo = kept() if ctx.settings.replay else tuple(calls())
        outcome = ctx.run_procedure(CALL_EACH, task, ([(c.args, dict(c.kwargs)) for c in todo],))
        refuse_forbidden(outcome, task, todo[0])
        if outcome.raised:
            kind, message = outcome.raised
            raise CheckFailed(Failure("error", _("{task} raised {error}: {message}").format(
                task=task.name, error=kind, message=message)))
        replies = outcome.value
        if not (isinstance(replies, list) and len(replies) == len(todo) and all(map(_well_formed, replies))):
            raise CheckFailed(Failure("error", _("{task}: its results could not be read back")
                                      .format(task=task.name)))
        for call, reply in zip(todo, replies):
            if reply[0] == "raised":
                raise CheckFailed(Failure("error", _("{task} raised {error}: {message}").format(
                    task=task.name, error=reply[1], message=reply[2]), call=call))
            expected = reference_result(task, call)
            mismatch = compare(expected, reply[1], dtype=torch.float64, device=torch.device("cpu"),
                               tolerance=task.tolerance)
            if mismatch:
                headline = _("{task}: {problem}").format(task=task.name, problem=mismatch.headline)
                raise CheckFailed(Failure("failed", headline, call=call, expected=expected, got=reply[1],
                                          details=list(mismatch.details), kind=mismatch.kind))

    return Check(name, description, points, run)


def _well_formed(reply: Any) -> bool:
    """Whether ``reply`` has the form :func:`call_each` gives it (checked, since it comes back
    from the process the student's code ran in)."""
    return (isinstance(reply, tuple) and bool(reply) and isinstance(reply[0], str)
            and len(reply) == {"value": 2, "raised": 3}.get(reply[0]))


def proof(points: float, calls: Sequence[Call], formula: Callable[..., Any], description: str) -> Check:
    """A check that the student's function, called on each of the symbolic ``calls``, returns an
    expression equal to ``formula`` on the same symbols. ``description`` is the check's
    description, an English msgid marked by the caller: "with sympy integer symbols, equal to
    <the formula in words> for every size"."""

    def run(task: Task, ctx: Context) -> None:
        for call in calls:
            prove_call(task, ctx, call, formula)

    return Check("proved_with_sympy", description, points, run)


def prove_call(task: Task, ctx: Context, call: Call, formula: Callable[..., Any]) -> None:
    """Call the student's function on one symbolic call and prove the result; raise
    :class:`CheckFailed` when it cannot be proved and a counterexample exists (or the result is
    not an integer expression at all)."""
    outcome = ctx.call(task, call.args, dict(call.kwargs))
    refuse_forbidden(outcome, task, call)
    if outcome.raised:
        kind, message = outcome.raised
        details = ([_(NO_TRUTH_VALUE)] if "Relational" in message else
                   [_(NO_NUMBER)] if kind == "TypeError" and ("convert" in message or "round" in message) else [])
        raise CheckFailed(Failure("failed", _("{task} cannot be called with sympy integer symbols: it raised "
                                              "{error}: {message}").format(task=task.name, error=kind, message=message),
                                  call=call, details=details, hint=_(FLOORDIV_HINT)))
    expected = formula(*call.args, **call.kwargs)
    got = outcome.value
    structure = _structure_problem(expected, got)
    if structure:
        raise CheckFailed(Failure("failed", _("{task}: {problem}").format(task=task.name, problem=structure),
                                  call=call, expected=expected, got=got, hint=_(FLOORDIV_HINT)))
    pairs = list(zip(expected, got)) if isinstance(expected, tuple) else [(expected, got)]
    for _expected, g in pairs:
        if not sympy.sympify(g).is_integer:
            raise CheckFailed(Failure(
                "failed", _("{task} returns {got}, which is not a whole number for every size: "
                            "it divides with / (true division)").format(task=task.name, got=g),
                call=call, expected=expected, got=got, details=[_(TRUE_DIVISION)], mistake=TRUE_DIVISION_MISTAKE,
                hint=_(FLOORDIV_HINT)))
    if all(equal(e, g) for e, g in pairs):
        return
    checked = _search_counterexample(task, call, got)
    warnings.warn(UnprovenFormula(
        _("{task}: sympy could not prove {got} equal to {expected}; it agrees with torch on all {checked} "
          "small configurations tried, so it was accepted").format(task=task.name, got=got, expected=expected,
                                                                   checked=checked)), stacklevel=2)


def equal(expected: Any, got: Any) -> bool:
    """Whether sympy can show the two integer expressions equal (floors compared with their
    arguments expanded, then ``simplify`` for a difference of modest size)."""
    difference = canonical(expected) - canonical(got)
    if difference == 0:
        return True
    # simplify can take very long on a large expression; those go straight to the search
    return sympy.count_ops(difference) <= MAX_SIMPLIFY_OPS and sympy.simplify(difference) == 0


def canonical(expr: Any) -> sympy.Expr:
    """``expr`` expanded, including inside every floor, so that equal formulas written in a
    different order or grouping become the same expression (floor(x/s + 1) is floor(x/s) + 1)."""
    expr = sympy.sympify(expr)
    expr = expr.replace(lambda e: isinstance(e, sympy.floor), lambda e: sympy.floor(sympy.expand(e.args[0])))
    return sympy.expand(expr)


def _structure_problem(expected: Any, got: Any) -> str | None:
    """Why ``got`` is not even an expression of the reference's form, or None."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)):
            return _("returned {type}, expected a tuple of {n}").format(type=describe_type(got), n=len(expected))
        if len(got) != len(expected):
            return ngettext("returned {got} item, expected {expected}", "returned {got} items, expected {expected}",
                            len(got)).format(got=len(got), expected=len(expected))
        return next(filter(None, map(_scalar_problem, got)), None)
    return _scalar_problem(got)


def _scalar_problem(got: Any) -> str | None:
    if isinstance(got, float):
        return _("returned the float {value}: use // (floor division), not /").format(value=repr(got))
    if isinstance(got, bool) or not isinstance(got, (int, sympy.Expr)):
        return _("returned {type}, expected an int or a sympy expression").format(type=describe_type(got))
    return None


def _assignments(symbols: Sequence[sympy.Symbol]) -> Iterator[dict[sympy.Symbol, int]]:
    """Every assignment of small integers to ``symbols`` (1.. for positive ones, 0.. otherwise),
    smallest sum first."""
    ranges = [range(1, 1 + SEARCH_RANGE) if s.is_positive else range(SEARCH_RANGE) for s in symbols]
    for values in sorted(itertools.product(*ranges), key=sum):
        yield dict(zip(symbols, values))


def substitute(value: Any, assignment: Mapping[sympy.Symbol, int]) -> Any:
    """``value`` (a sympy expression, or tuples, lists and dicts of them) with the symbols
    replaced by integers; sympy integers come back as Python ints."""
    if isinstance(value, (tuple, list)):
        return type(value)(substitute(v, assignment) for v in value)
    if isinstance(value, dict):
        return {k: substitute(v, assignment) for k, v in value.items()}
    if isinstance(value, sympy.Basic):
        value = sympy.sympify(value.xreplace(dict(assignment)))
        return int(value) if value.is_Integer else value
    return value


def _search_counterexample(task: Task, call: Call, got: Any) -> int:
    """Evaluate the student's symbolic result on small integers where torch accepts the
    arguments; raise :class:`CheckFailed` at the first that differs from torch. Returns how many
    configurations agreed."""
    symbols = sorted(set().union(*(sympy.sympify(a).free_symbols for a in _flat(call))), key=str)
    checked = 0
    for assignment in _assignments(symbols):
        concrete = Call(substitute(tuple(call.args), assignment), substitute(dict(call.kwargs), assignment),
                        label=_("your formula evaluated at {values}").format(values=_show(assignment)))
        try:
            expected = task.reference(*concrete.args, **concrete.kwargs)
        except (RuntimeError, ValueError):  # outside torch's domain: no claim to check
            continue
        value = substitute(got, assignment)
        mismatch = compare(expected, value, dtype=torch.float64, device=torch.device("cpu"),
                           tolerance=task.tolerance)
        if mismatch:
            headline = _("{task} returns {formula} for sympy integer symbols, which differs from torch: at "
                         "{values} it gives {got}, torch gives {expected}").format(
                task=task.name, formula=got, values=_show(assignment), got=value, expected=expected)
            raise CheckFailed(Failure("failed", headline, call=concrete, expected=expected, got=value,
                                      kind=mismatch.kind))
        checked += 1
    if not checked:
        raise AssertionError(f"{task.name}: torch accepts none of the small configurations of {call}")
    return checked


def _flat(call: Call) -> list[Any]:
    out: list[Any] = []
    for value in (*call.args, *call.kwargs.values()):
        out += list(value) if isinstance(value, (tuple, list)) else [value]
    return out


def _show(assignment: Mapping[sympy.Symbol, int]) -> str:
    return ", ".join(f"{s}={v}" for s, v in assignment.items())
