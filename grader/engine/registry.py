"""The one registry of exercises that every front-end reads.

Exercises register themselves from their catalog module (``grader/catalog/exNN_*.py``);
:func:`all_exercises` imports the whole catalog on first use, so importing the registry is cheap.
"""

from __future__ import annotations

import importlib
import pkgutil

from grader.engine.exercise import Exercise

_EXERCISES: dict[str, Exercise] = {}
_loaded = False


def register(exercise: Exercise) -> Exercise:
    """Add an exercise; a second record for the same module is a programming error."""
    if exercise.module in _EXERCISES:
        raise ValueError(f"exercise {exercise.module} is registered twice")
    _EXERCISES[exercise.module] = exercise
    return exercise


def _load_catalog() -> None:
    global _loaded
    if _loaded:
        return
    import grader.catalog as catalog

    for info in sorted(pkgutil.iter_modules(catalog.__path__), key=lambda i: i.name):
        importlib.import_module(f"grader.catalog.{info.name}")
    _loaded = True


def all_exercises() -> tuple[Exercise, ...]:
    """Every registered exercise, in contract order (ex01, ex02, ...)."""
    _load_catalog()
    return tuple(_EXERCISES[k] for k in sorted(_EXERCISES))


def get(module: str) -> Exercise:
    """The exercise of one contract file, by module name (``"ex01_cross_correlation"``)."""
    _load_catalog()
    try:
        return _EXERCISES[module]
    except KeyError:
        known = ", ".join(sorted(_EXERCISES))
        raise KeyError(f"no exercise {module!r}; known: {known}") from None
