"""Exercise packs: pip-installable packages that add exercises to convgrade.

A pack's distribution declares one entry point in the group :data:`ENTRY_POINT_GROUP`,
naming a :class:`Pack` record::

    [project.entry-points."convgrade.exercises"]
    conv1d = "convgrade_conv1d:PACK"

:mod:`grader.engine.registry` loads every installed pack at start-up, after the built-in catalog: it
checks the API version the pack was written against, imports the pack's catalog modules (each
calls :func:`grader.api.register`), and refuses a name that clashes with a built-in or with
another pack's. A pack's exercises are known to every front-end from then on, but they are part
of a course only when a course file (:mod:`grader.course`) lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

ENTRY_POINT_GROUP = "convgrade.exercises"


@dataclass(frozen=True)
class Pack:
    """One installed pack: where its catalog, model answers and translations are.

    ``solutions`` holds one ``exNN_name.py`` model answer per exercise, written like the
    built-ins' (``### BEGIN SOLUTION`` / ``### END SOLUTION`` around each answer): the student
    stubs are generated from it, and the release's leak check looks for its answers. It is never
    importable from a submission (:mod:`grader.run.sandbox` blocks the pack's packages).
    """

    name: str  # the distribution's name: "convgrade-conv1d"
    api: str  # the grader.api version the pack is written against: "1.0"
    catalog: tuple[str, ...]  # modules that register the pack's exercises: ("convgrade_conv1d.ex21_conv1d",)
    solutions: Path  # folder of the model answers, exNN_name.py
    locale: Path | None = None  # folder of <locale>/LC_MESSAGES/<domain>.po catalogs (None: English only)
    domain: str = ""  # the PO files' name without .po (default: the name with - as _)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d+(\.\d+)?", self.api):
            raise ValueError(f"pack {self.name}: api {self.api!r} must look like 1.0")
        if not self.catalog:
            raise ValueError(f"pack {self.name}: no catalog modules")
        if not self.domain:
            object.__setattr__(self, "domain", self.name.replace("-", "_"))

    @property
    def packages(self) -> tuple[str, ...]:
        """The top-level packages of the pack's modules (blocked from submissions)."""
        return tuple(sorted({module.split(".")[0] for module in self.catalog}))


def answers_exposed(packs: Iterable[Pack], readable: Iterable[str]) -> list[str]:
    """The names of the packs whose model answers lie under one of the ``readable`` folders (a
    grading worker reads site-packages: a pack installed there, not editable, shows a submission
    its answers)."""
    folders = [Path(r).resolve() for r in readable]
    return [p.name for p in packs if any(p.solutions.resolve().is_relative_to(f) for f in folders)]
