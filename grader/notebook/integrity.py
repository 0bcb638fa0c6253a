"""Noticing that code run after the grader was armed changed what the kernel-side relay uses.

A :class:`Snapshot` holds, for each watched namespace (a module, a class, a dict of chosen
attributes), the objects bound to its names when the grader was armed; for functions also their
code, defaults and keyword defaults (``f.__code__ = ...`` keeps the function but changes what it
does). :meth:`Snapshot.changes` names every binding that is no longer the same object.
Identity, not equality, is compared: a student's object can claim to equal anything.
"""

from __future__ import annotations

import types
from typing import Any, Callable, Mapping

Namespace = Callable[[], Mapping[str, Any]]
"""Returns a namespace's current bindings (``lambda: vars(json)``)."""


def _parts(value: Any) -> tuple:
    """The objects whose identity stands for ``value``: a function with its code and defaults, a
    tuple item by item (a namespace lists a hook list's items as a tuple), anything else itself."""
    if isinstance(value, types.FunctionType):
        return (value, value.__code__, value.__defaults__, value.__kwdefaults__)
    if type(value) is tuple:
        return (tuple, *value)
    return (value,)


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


class Snapshot:
    """The bindings of some namespaces, taken once, to compare against later."""

    def __init__(self, namespaces: Mapping[str, Namespace]):
        self._namespaces = dict(namespaces)
        self._saved = {label: {name: _parts(value) for name, value in dict(get()).items()}
                       for label, get in self._namespaces.items()}

    def changes(self) -> list[str]:
        """``label.name`` for every saved binding that was rebound, changed or deleted."""
        changed = []
        for label, get in self._namespaces.items():
            now = dict(get())
            for name, parts in self._saved[label].items():
                if name not in now or not _same(parts, _parts(now[name])):
                    changed.append(f"{label}.{name}")
        return changed
