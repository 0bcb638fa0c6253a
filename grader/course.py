"""The course file: which exercises make up a course, their points, and how it is graded.

``convgrade.toml`` at the course repository's root (the current folder), or the file that
``--course FILE`` (or ``CONVGRADE_COURSE``) names::

    [course]
    name = "CNNs, spring term"          # shown in the results (default: the file's name)
    exercises = ["ex01_cross_correlation", "ex03_padding_stride", "ex06_conv2d", "ex21_conv1d"]
    profile = "grading"                 # grading or student: the default of --profile
    seed = 20270101                     # the default of --seed

    [limits]
    call_seconds = 10                   # the default of --timeout / --call-timeout
    memory_mb = 2048                    # the default of --memory / --call-memory

    [exercise.ex06_conv2d]
    weight = 2                          # every check of the exercise is worth twice its points

    [exercise.ex21_conv1d.checks]
    "conv1d[matches_torch]" = 4         # this check is worth 4 points, whatever the weight

``exercises`` lists built-in exercises and installed packs' ones, in the order every front-end
shows them (default: the built-ins). Without a course file the course is the built-in exercises
with their own points. The results of ``convgrade grade`` record the course's name, file and
SHA-256. A mistake in the file (an unknown key, exercise or check, a negative weight) stops the
start-up with one line (:class:`CourseError`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from grader.engine.exercise import Exercise
from grader.i18n import _

FILE_NAME = "convgrade.toml"
ENVIRONMENT = "CONVGRADE_COURSE"  # a course file for every convgrade process started from here
PROFILES = ("grading", "student")


class CourseError(ValueError):
    """A course file that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class Points:
    """The points of one exercise in a course: a weight on all its checks, then absolute
    points for single checks (``"task[check]"``)."""

    weight: float = 1.0
    checks: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Course:
    """A parsed course file (picklable: the batch grader sends it to every judge)."""

    name: str
    source: str  # the file as named
    sha256: str  # of the file's bytes
    modules: tuple[str, ...] | None = None  # None: the built-in exercises
    points: Mapping[str, Points] = field(default_factory=dict)
    profile: str | None = None
    seed: int | None = None
    call_seconds: float | None = None
    memory_mb: int | None = None

    def apply(self, exercise: Exercise) -> Exercise:
        """``exercise`` with this course's points for it (the same record when it has none)."""
        rule = self.points.get(exercise.module)
        if rule is None:
            return exercise
        names = {f"{t.name}[{c.name}]" for t in exercise.tasks for c in t.checks}
        unknown = sorted(set(rule.checks) - names)
        if unknown:
            raise CourseError(_("{file}: {module} has no check {checks}").format(
                file=self.source, module=exercise.module, checks=", ".join(unknown)))

        def points(task: str, check: Any) -> float:
            return float(rule.checks.get(f"{task}[{check.name}]", check.points * rule.weight))

        tasks = tuple(dataclasses.replace(t, checks=tuple(dataclasses.replace(c, points=points(t.name, c))
                                                          for c in t.checks)) for t in exercise.tasks)
        return dataclasses.replace(exercise, tasks=tasks)

    def record(self) -> dict[str, str]:
        """What the results record of the course: ``{"name", "file", "sha256"}``."""
        return {"name": self.name, "file": self.source, "sha256": self.sha256}


def settings_defaults(course: Course | None, profile: str | None, seed: int | None) -> tuple[str | None, int | None]:
    """The profile and seed to grade with: the options given, else CONVGRADE_PROFILE and
    CONVGRADE_SEED (None here: :meth:`grader.engine.settings.Settings.make` reads them), else the
    course file's."""
    if profile is None and not os.environ.get("CONVGRADE_PROFILE"):
        profile = getattr(course, "profile", None)
    if seed is None and not os.environ.get("CONVGRADE_SEED"):
        seed = getattr(course, "seed", None)
    return profile, seed


def find(option: str | Path | None = None, folder: Path | None = None) -> Path | None:
    """The course file in force: ``option`` (``--course``), else ``CONVGRADE_COURSE``, else
    ``convgrade.toml`` in ``folder`` (default: the current folder), else None."""
    named = option or os.environ.get(ENVIRONMENT)
    if named:
        return Path(named)
    default = (folder or Path.cwd()) / FILE_NAME
    return default if default.is_file() else None


def load(option: str | Path | None = None, folder: Path | None = None) -> Course | None:
    """The course of :func:`find`'s file, parsed (None when there is none)."""
    path = find(option, folder)
    return None if path is None else read(path)


def _fail(path: Path, problem: str) -> CourseError:
    return CourseError(f"{path}: {problem}")


def _table(data: Any, path: Path, where: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _fail(path, _("[{table}] must be a table").format(table=where))
    unknown = sorted(set(data) - keys)
    if unknown:
        raise _fail(path, _("unknown key {key} in [{table}]; known: {known}").format(
            key=", ".join(unknown), table=where, known=", ".join(sorted(keys))))
    return data


def _number(value: Any, path: Path, where: str, kind: type = float, positive: bool = False) -> Any:
    """``value`` as a ``kind``, at least 0 (above 0 when ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise _fail(path, _("{key} must be a number").format(key=where))
    if value < 0 or (positive and value == 0):
        raise _fail(path, _("{key} must be positive").format(key=where))
    return kind(value)


def read(path: str | Path) -> Course:
    """Parse a course file (:class:`CourseError` on any mistake in it)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise _fail(path, exc.strerror or str(exc)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(path, _("not a TOML file: {error}").format(error=exc)) from None
    top = _table(data, path, "", {"course", "limits", "exercise"})
    course = _table(top.get("course", {}), path, "course", {"name", "exercises", "profile", "seed"})
    limits = _table(top.get("limits", {}), path, "limits", {"call_seconds", "memory_mb"})
    modules = course.get("exercises")
    if modules is not None:
        if not isinstance(modules, list) or not modules or not all(isinstance(m, str) for m in modules):
            raise _fail(path, _("course.exercises must be a non-empty list of exercise names"))
        repeated = sorted({m for m in modules if modules.count(m) > 1})
        if repeated:
            raise _fail(path, _("course.exercises lists {modules} twice").format(modules=", ".join(repeated)))
        modules = tuple(modules)
    profile = course.get("profile")
    if profile is not None and profile not in PROFILES:
        raise _fail(path, _("course.profile must be one of {profiles}").format(profiles=", ".join(PROFILES)))
    points = {}
    for module, rule in _table(top.get("exercise", {}), path, "exercise", set(top.get("exercise", {}))).items():
        rule = _table(rule, path, f"exercise.{module}", {"weight", "checks"})
        if modules is not None and module not in modules:
            raise _fail(path, _("[exercise.{module}]: {module} is not in course.exercises").format(module=module))
        checks = _table(rule.get("checks", {}), path, f"exercise.{module}.checks", set(rule.get("checks", {})))
        points[module] = Points(_number(rule.get("weight", 1.0), path, f"exercise.{module}.weight"),
                                {k: _number(v, path, f"exercise.{module}.checks.{k}") for k, v in checks.items()})
    seed = course.get("seed")
    return Course(
        name=str(course.get("name", path.stem)), source=str(path), sha256=hashlib.sha256(raw).hexdigest(),
        modules=modules, points=points, profile=profile,
        seed=None if seed is None else _number(seed, path, "course.seed", int),
        call_seconds=None if "call_seconds" not in limits else _number(limits["call_seconds"], path,
                                                                        "limits.call_seconds", positive=True),
        memory_mb=None if "memory_mb" not in limits else _number(limits["memory_mb"], path, "limits.memory_mb", int,
                                                                  positive=True))
