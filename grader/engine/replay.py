"""Drawn inputs and reference results, computed once per judge process instead of once per
student.

Grading is derandomized: with a seed, hypothesis draws the same inputs, in the same order, for
every function that passes all of them (nothing it draws depends on the function, only on
whether it fails). So the first time a property passes, the calls hypothesis drew are kept,
under the property's key (:func:`key`: exercise, task, check, which property of the check,
seed, number of examples); every later student of the run is judged on the kept calls, in
order, without hypothesis, and each call's reference result is computed once (:func:`reference`).
A student whose function fails on a kept call is judged again by hypothesis from the start,
exactly as without the cache, so that hypothesis shrinks their own counterexample
(:func:`grader.engine.checks.run_property`).

The cache lives in the judge process (a batch run's judges live as long as the run); without a
seed (the student profile's random draws) nothing is kept.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable

from grader.engine.call import Call

Key = tuple[Hashable, ...]

_DRAWS: dict[Key, tuple[Any, ...]] = {}
_KEPT: dict[int, Any] = {}  # id(call) -> call, for every kept call
_REFERENCES: dict[tuple[int, Hashable], Any] = {}  # (id(call), reference function) -> its result


def key(module: str, task: str, check: str, index: int, seed: int | None, examples: int) -> Key | None:
    """The key of a property: the ``index``-th property run by ``check`` of ``module.task``,
    drawing ``examples`` inputs from ``seed``; None without a seed (nothing to replay)."""
    return None if seed is None else (module, task, check, index, seed, examples)


def draws(k: Key | None) -> tuple[Any, ...] | None:
    """The calls kept for key ``k``, in the order hypothesis drew them; None when none are."""
    return None if k is None else _DRAWS.get(k)


def keep(k: Key | None, calls: list[Any]) -> None:
    """Keep ``calls``, the draws of a property that passed, under key ``k`` (for the run)."""
    if k is not None:
        _DRAWS[k] = remember(tuple(calls))


def remember(calls: tuple[Any, ...]) -> tuple[Any, ...]:
    """``calls``, kept for the run, so that :func:`reference` computes each of their reference
    results once (for inputs drawn without a seed: a fixed grid)."""
    _KEPT.update((id(call), call) for call in calls if isinstance(call, Call))
    return calls


def reference(call: Call, function: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``, the result of the reference ``function`` on ``call``: computed once when
    ``call`` is one of the kept calls (they live as long as the cache, so the same object is
    the same input), every time otherwise. Callers must not modify what it returns."""
    if _KEPT.get(id(call)) is not call:
        return compute()
    k = (id(call), function)
    if k not in _REFERENCES:
        _REFERENCES[k] = compute()
    return _REFERENCES[k]


def clear() -> None:
    """Forget everything kept (for tests: a cold cache)."""
    _DRAWS.clear()
    _KEPT.clear()
    _REFERENCES.clear()
