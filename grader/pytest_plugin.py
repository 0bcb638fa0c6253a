"""The student front-end: ``pytest exercises/`` grades the exercises from the registry.

Registered as a pytest plugin (entry point ``pytest11``). Each ``exercises/exNN_*.py`` file
that the registry knows is collected as one exercise with one test per check, named
``task[check]`` and marked ``exNN`` (so ``-m ex03`` and ``-k pad2d`` select). A failure shows
the grader's feedback, never a traceback into the grader; the run ends with a points table.

Options: ``--submission PATH`` grades another folder in the contract's layout instead of
``exercises/``; ``--profile student|grading``, ``--seed`` and ``--device cpu|cuda|auto``
(also CONVGRADE_PROFILE, CONVGRADE_SEED, CONVGRADE_DEVICE); ``--call-timeout SECONDS`` and
``--call-memory MB`` bound each call of the student's code (:mod:`grader.run.limits`), so a run
always ends with its points table. ``--course FILE`` (default: ``convgrade.toml`` in the rootdir
or the current folder) chooses the exercises collected, their points, and the defaults of the
profile, seed and limits; without one, every exercise file the registry knows (built-in or from
an installed pack) is collected.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest._code.code import TerminalRepr
from _pytest._io import TerminalWriter


def not_rewritten(*packages: str) -> None:
    """Leave the asserts of ``packages`` as they are. pytest rewrites the asserts of every module
    of a distribution that registers a pytest plugin (convgrade, hypothesis) as it is imported,
    for the sake of test modules; neither holds any, and rewriting them costs every run about half
    a second (more where bytecode is not cached). The marks live in the rewriting hook's
    ``_must_rewrite``; should pytest keep them elsewhere, this does nothing."""
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        if isinstance(marked, set):
            marked.difference_update(packages)


not_rewritten("grader", "hypothesis")  # before the imports below

from grader import course  # noqa: E402
from grader.engine import registry  # noqa: E402
from grader.engine.exercise import Check, Exercise, Task, status_word  # noqa: E402
from grader.engine.outcome import CheckResult  # noqa: E402
from grader.engine.points import points_table  # noqa: E402
from grader.engine.runner import Runner  # noqa: E402
from grader.engine.settings import DeviceUnavailable, Settings, use_one_thread  # noqa: E402
from grader.i18n import LANGUAGES, _, choose, set_language  # noqa: E402
from grader.outputs.feedback import earlier_same_failure, repeat_line  # noqa: E402
from grader.run.limits import Limits  # noqa: E402
from grader.run.target import InProcessTarget  # noqa: E402

RUNNERS = pytest.StashKey[dict]()
RESULTS = pytest.StashKey[list]()
SETTINGS = pytest.StashKey[Settings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("convgrade", "convgrade exercise grading")
    group.addoption("--submission", metavar="PATH", default=None,
                    help="grade this submission folder (the contract's layout) instead of exercises/")
    group.addoption("--profile", choices=("student", "grading"), default=None,
                    help="student: fast and random (default); grading: more examples, fixed seed")
    group.addoption("--seed", type=int, default=None, help="hypothesis seed (grading profile default: fixed)")
    group.addoption("--device", choices=("cpu", "cuda", "auto"), default=None,
                    help="device the inputs are created on (default cpu; auto = cuda when available)")
    group.addoption("--lang", choices=tuple(LANGUAGES), default=None,
                    help="language of the feedback (default: CONVGRADE_LANG, else the locale)")
    group.addoption("--call-timeout", metavar="SECONDS", type=float, default=None,
                    help=f"time limit of one call of your code (default: the course file's, else "
                         f"{Limits.call_seconds:g}; the same as convgrade grade --timeout)")
    group.addoption("--call-memory", metavar="MB", type=int, default=None,
                    help=f"memory one call of your code may allocate (default: the course file's, else "
                         f"{Limits.memory_mb}; the same as convgrade grade --memory)")
    group.addoption("--course", metavar="FILE", default=None,
                    help="the course file (default: CONVGRADE_COURSE, else convgrade.toml in the rootdir or "
                         "the current folder): its exercises, points, profile, seed and limits")


def pytest_configure(config: pytest.Config) -> None:
    try:
        set_language(choose(config.getoption("--lang")))
        chosen = course.load(config.getoption("--course"), config.rootpath) or course.load(None)
        registry.use_course(chosen)
        profile, seed = course.settings_defaults(chosen, config.getoption("--profile"), config.getoption("--seed"))
        config.stash[SETTINGS] = Settings.make(profile, seed, config.getoption("--device"))
    except (DeviceUnavailable, ValueError) as exc:  # CourseError and RegistryError too: one line
        raise pytest.UsageError(str(exc)) from None
    for exercise in registry.known():
        config.addinivalue_line("markers", f"{exercise.marker}: {_(exercise.title)} ({exercise.module}.py)")
    use_one_thread()
    config.stash[RUNNERS] = {}
    config.stash[RESULTS] = []


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.parent.name == "exercises" and file_path.suffix == ".py":
        try:
            exercise = registry.get(file_path.stem)
        except KeyError:
            return None
        chosen = registry.current_course()
        if chosen is not None and exercise.module not in chosen.modules:
            return None  # a course file chose the exercises
        return ExerciseFile.from_parent(parent, path=file_path, exercise=exercise)
    return None


class ExerciseFile(pytest.File):
    """One exercise file: yields one item per check of each of its tasks."""

    def __init__(self, *, exercise: Exercise, **kwargs):
        super().__init__(**kwargs)
        self.exercise = exercise

    def collect(self):
        for task in self.exercise.tasks:
            for check in task.checks:
                item = CheckItem.from_parent(self, name=f"{task.name}[{check.name}]", task=task, check=check)
                item.add_marker(getattr(pytest.mark, self.exercise.marker))
                yield item


class CheckFailedReport(Exception):
    """Carries a failed :class:`CheckResult` to :meth:`CheckItem.repr_failure`, with the earlier
    check of its task that failed the same way (``same_as``), if one did."""

    def __init__(self, result: CheckResult, same_as: str | None = None):
        super().__init__(result.message)
        self.result = result
        self.same_as = same_as


@dataclass(eq=False)
class Headline(TerminalRepr):
    """The one line pytest's short summary (and ``--tb=line``) shows of a failed check."""

    message: str

    def toterminal(self, tw: TerminalWriter) -> None:
        tw.line(self.message)


@dataclass(eq=False)
class CheckFailureRepr(TerminalRepr):
    """A failed check as pytest shows it: the whole feedback block in the failures section, the
    headline alone in the short summary. (pytest prints a plain-string report whole in the
    summary on CI and under ``-vv``, which would show every block twice.)"""

    text: str
    reprcrash: Headline

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in self.text.splitlines():
            tw.line(line)


class CheckItem(pytest.Item):
    """One check of one task, graded against the chosen submission."""

    def __init__(self, *, task: Task, check: Check, **kwargs):
        super().__init__(**kwargs)
        self.task = task
        self.check = check

    @property
    def exercise(self) -> Exercise:
        return self.parent.exercise

    def _runner(self) -> Runner:
        config = self.config
        root = config.getoption("--submission") or str(self.path.parent)
        runners = config.stash[RUNNERS]
        if root not in runners:
            if not Path(root).is_dir():
                raise pytest.UsageError(_("--submission {path}: no such folder").format(path=root))
            chosen = registry.current_course()
            limits = Limits(call_seconds=config.getoption("--call-timeout") or getattr(chosen, "call_seconds", None)
                            or Limits.call_seconds,
                            memory_mb=config.getoption("--call-memory") or getattr(chosen, "memory_mb", None)
                            or Limits.memory_mb)
            runners[root] = Runner(InProcessTarget(root, limits), config.stash[SETTINGS])
        return runners[root]

    def runtest(self) -> None:
        result = self._runner().run_check(self.exercise, self.task, self.check)
        same_as = None if result.passed else earlier_same_failure(self.config.stash[RESULTS], result)
        self.config.stash[RESULTS].append(result)
        self.user_properties.append(("points", f"{result.points:g}/{result.max_points:g}"))
        if not result.passed:
            raise CheckFailedReport(result, same_as)

    def repr_failure(self, excinfo, style=None) -> str | TerminalRepr:
        if isinstance(excinfo.value, CheckFailedReport):
            r, same_as = excinfo.value.result, excinfo.value.same_as
            tag = _("[{status}: {description}]").format(status=status_word(r.status),
                                                        description=_(self.check.description))
            message = repeat_line(r.failure.headline, same_as) if same_as else r.message
            return CheckFailureRepr(f"{message}\n{tag}", Headline(message.split("\n", 1)[0]))
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.exercise.module}: {self.task.name} [{self.check.name}]"


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, [])
    if not results:
        return
    settings = config.stash[SETTINGS]
    if settings.seed is not None:
        title = _("convgrade points (profile {profile}, seed {seed}, device {device})")
    else:
        title = _("convgrade points (profile {profile}, device {device})")
    terminalreporter.write_sep("=", title.format(profile=settings.profile, seed=settings.seed, device=settings.device))
    for line in points_table(results).splitlines():
        terminalreporter.write_line(line)
