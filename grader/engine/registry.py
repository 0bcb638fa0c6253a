"""The one registry of exercises that every front-end reads.

Exercises register themselves from their catalog module: the built-ins from
``grader/catalog/exNN_*.py``, the installed packs' from the modules their :class:`Pack` names
(entry-point group ``convgrade.exercises``, :mod:`grader.packs`). Everything loads on first use,
so importing the registry is cheap; a pack that cannot be loaded, needs another API version, or
registers a name already taken stops the start-up with one line (:class:`RegistryError`).

The *course* is what the front-ends grade: :func:`all_exercises` in its order, with its points.
Without a course file (:mod:`grader.course`) it is the built-in exercises, in contract order;
:func:`use_course` makes a course file's selection and points the one in force.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Iterable

from grader.course import Course, CourseError
from grader.engine.exercise import Exercise
from grader.i18n import _
from grader.packs import ENTRY_POINT_GROUP, Pack

BUILTIN = "convgrade"
"""The origin of the built-in exercises (a pack's origin is its name)."""

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
"""The built-in exercises' model answers."""

_EXERCISES: dict[str, Exercise] = {}
_REGISTERED_BY: dict[str, str] = {}  # exercise module -> the Python module that registered it
_PACKS: dict[str, Pack] = {}
_loading: Pack | None = None  # the pack whose catalog is being imported
_loaded = False
_course: Course | None = None
_in_course: dict[str, Exercise] = {}  # module -> the exercise with the course's points


class RegistryError(ValueError):
    """An exercise or pack that cannot join the registry; the message is one line."""


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message``."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _origin_of(python_module: str) -> str:
    """Where the catalog module ``python_module`` comes from: :data:`BUILTIN`, the name of the
    pack whose catalog lists it, else ``python_module`` itself (registered outside any pack)."""
    if python_module.startswith("grader.catalog."):
        return BUILTIN
    for pack in (*_PACKS.values(), *([_loading] if _loading else [])):
        if python_module in pack.catalog:
            return pack.name
    return python_module


def _origin_text(origin: str) -> str:
    if origin == BUILTIN:
        return _("the built-in exercises")
    if origin in _PACKS or (_loading is not None and origin == _loading.name):
        return _("pack {name}").format(name=origin)
    return _("module {name}").format(name=origin)


def register(exercise: Exercise) -> Exercise:
    """Add an exercise (call it once, at the end of the exercise's catalog module). Its module
    name, and its ``exNN`` marker, must be new: a clash is a :class:`RegistryError`."""
    caller = sys._getframe(1).f_globals.get("__name__", "?")
    for module, by in _REGISTERED_BY.items():
        if module == exercise.module or module[:4] == exercise.marker:
            raise RegistryError(_("exercise {module} of {origin} clashes with {other} of {other_origin}: each "
                                  "exercise needs its own exNN number").format(
                module=exercise.module, origin=_origin_text(_origin_of(caller)), other=module,
                other_origin=_origin_text(_origin_of(by))))
    _EXERCISES[exercise.module] = exercise
    _REGISTERED_BY[exercise.module] = caller
    return exercise


def _import_catalog(modules: Iterable[str], pack: Pack | None = None) -> None:
    global _loading
    _loading = pack
    try:
        for module in modules:
            importlib.import_module(module)
    finally:
        _loading = None


def _installed_packs() -> list[Any]:
    """The entry points of the installed packs, sorted by name."""
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))


def load_pack(pack: Pack) -> None:
    """Register a pack's exercises (:class:`RegistryError` when it cannot join)."""
    from grader.api import API_VERSION, compatible
    from grader.i18n import add_catalogs

    if pack.name in _PACKS:
        raise RegistryError(_("pack {name} is installed twice").format(name=pack.name))
    if not compatible(pack.api, API_VERSION):
        raise RegistryError(_("pack {name} needs convgrade's authoring API {needed}; this convgrade has {api}: "
                              "upgrade one of them").format(name=pack.name, needed=pack.api, api=API_VERSION))
    try:
        _import_catalog(pack.catalog, pack)
    except RegistryError:
        raise
    except Exception as exc:
        raise RegistryError(_("pack {name} could not be loaded: {error}").format(
            name=pack.name, error=one_line(exc))) from exc
    _PACKS[pack.name] = pack
    if pack.locale is not None:
        add_catalogs(pack.locale, pack.domain)


def _load_catalog() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import grader.catalog as catalog

    names = sorted(info.name for info in pkgutil.iter_modules(catalog.__path__))
    _import_catalog([f"grader.catalog.{name}" for name in names])
    for point in _installed_packs():
        try:
            pack = point.load()
        except Exception as exc:
            raise RegistryError(_("pack entry point {point} could not be loaded: {error}").format(
                point=f"{point.name} = {point.value}", error=one_line(exc))) from exc
        if not isinstance(pack, Pack):
            raise RegistryError(_("pack entry point {point} is not a grader.api.Pack").format(
                point=f"{point.name} = {point.value}"))
        load_pack(pack)


def known() -> tuple[Exercise, ...]:
    """Every registered exercise, built-in or from a pack, in exNN order (the course's points
    not applied)."""
    _load_catalog()
    return tuple(_EXERCISES[k] for k in sorted(_EXERCISES))


def builtin() -> tuple[Exercise, ...]:
    """The built-in exercises, in contract order (ex01, ex02, ...)."""
    return tuple(e for e in known() if origin(e.module) == BUILTIN)


def packs() -> tuple[Pack, ...]:
    """The installed packs, in load order."""
    _load_catalog()
    return tuple(_PACKS.values())


def origin(module: str) -> str:
    """:data:`BUILTIN`, the name of the pack that registered ``module``, or the Python module
    that registered it outside any pack."""
    get(module)
    return _origin_of(_REGISTERED_BY[module])


def solution_file(module: str, builtin_solutions: Path = SOLUTIONS) -> Path:
    """The model answer of an exercise: the pack's ``solutions/<module>.py`` for a pack's,
    ``builtin_solutions/<module>.py`` for any other (it may not exist)."""
    where = origin(module)
    folder = _PACKS[where].solutions if where in _PACKS else builtin_solutions
    return folder / f"{module}.py"


def use_course(course: Course | None) -> None:
    """Make ``course`` the one :func:`all_exercises` and :func:`get` give (None: the built-ins);
    :class:`grader.course.CourseError` when it names an exercise or check that does not exist."""
    global _course, _in_course
    _load_catalog()
    if course is None:
        _course, _in_course = None, {}
        return
    modules = course.modules if course.modules is not None else tuple(e.module for e in builtin())
    unknown = sorted({m for m in (*modules, *course.points) if m not in _EXERCISES})
    if unknown:
        raise CourseError(_("{file}: no exercise {modules}; known: {known}").format(
            file=course.source, modules=", ".join(unknown), known=", ".join(sorted(_EXERCISES))))
    course = dataclasses.replace(course, modules=modules)
    _course, _in_course = course, {m: course.apply(_EXERCISES[m]) for m in modules}


def current_course() -> Course | None:
    """The course in force (None: the built-in exercises, no course file)."""
    return _course


def all_exercises() -> tuple[Exercise, ...]:
    """The course's exercises, in its order, with its points: without a course file, every
    built-in exercise in contract order (ex01, ex02, ...)."""
    if _course is None:
        return builtin()
    return tuple(_in_course[m] for m in _course.modules)


def get(module: str) -> Exercise:
    """The exercise of one file by module name (``"ex01_cross_correlation"``), with the course's
    points when the course holds it; any known exercise otherwise."""
    _load_catalog()
    if module in _in_course:
        return _in_course[module]
    try:
        return _EXERCISES[module]
    except KeyError:
        known_modules = ", ".join(sorted(_EXERCISES))
        raise KeyError(f"no exercise {module!r}; known: {known_modules}") from None
