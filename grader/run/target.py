"""Where the student's code runs. A :class:`Target` loads a submission's modules and calls its
functions; the checks only ever talk to a target, so the same checks run in-process (pytest,
fast and debuggable) or in an isolated worker process (the batch grader, :mod:`grader.run.sandbox`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import re
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, Protocol

from grader.engine.outcome import Abort, CallOutcome, Failure
from grader.engine.settings import full_float32_precision
from grader.i18n import _
from grader.run import libraries
from grader.run.guard import ForbiddenCall, Guard, tampering
from grader.run.limits import CallTimedOut, Limits, bounded


class Target(Protocol):
    """The interface every front-end grades through."""

    def presence(self, module: str, name: str) -> Failure | None:
        """None when ``module.name`` exists and loads; else why not (not_submitted, error...)."""

    def call(self, module: str, name: str, args: tuple, kwargs: dict[str, Any], *,
             forbidden: str | None, procedure: str | None = None) -> CallOutcome:
        """Call ``module.name(*args, **kwargs)`` (or ``procedure(module.name, *args, **kwargs)``).

        Raises :class:`grader.engine.outcome.Abort` when grading this task cannot go on (the function
        is a stub, the process died, a time limit passed)."""


def resolve_procedure(path: str) -> Any:
    """``"grader.catalog.ex11_fcn:fit_and_predict"`` -> the function."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def not_implemented(exc: BaseException, root: Path) -> bool:
    """True when a NotImplementedError was raised by the submission's own code (a stub, in any
    of its files, a notebook's cells included), not by torch rejecting an argument."""
    if not isinstance(exc, NotImplementedError):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve().is_relative_to(root)


def invoke(fn: Any, args: tuple, kwargs: dict[str, Any], *, forbidden: str | None, root: Path,
           name: str, procedure: str | None = None, resolve: Any = resolve_procedure,
           limits: Limits | None = None) -> CallOutcome:
    """Run one call of student code under the guard and describe what happened.

    Shared by the in-process target and the sandbox worker, so both judge a call the same way.
    ``resolve`` turns a procedure's path into the function (the worker passes its own, which
    cannot import). With ``limits``, the call is bounded in this process
    (:func:`grader.run.limits.bounded`; the worker's judge enforces them from outside instead).
    """
    proc = resolve(procedure) if procedure else None
    full_float32_precision()
    guard = Guard(forbidden)
    start = time.perf_counter()
    outcome = CallOutcome()
    try:
        with bounded(limits) if limits else contextlib.nullcontext(), guard:
            outcome.value = proc(fn, *args, **kwargs) if proc else fn(*args, **kwargs)
    except ForbiddenCall:
        pass  # recorded in guard.forbidden
    except CallTimedOut:
        raise Abort(Failure("timeout", _("{what} did not finish within {seconds} s (its time limit); an infinite loop?")
                            .format(what=name, seconds=f"{limits.call_seconds:.3g}"))) from None
    except MemoryError:
        raise Abort(Failure("error", _("{name} ran out of memory (more than {memory} MB for one call)")
                            .format(name=name, memory=limits.memory_mb if limits else "?"))) from None
    except SystemExit as exc:
        raise Abort(Failure("crashed", _("{name} called sys.exit({code}): a graded function must return")
                            .format(name=name, code=repr(exc.code)))) from None
    except RecursionError as exc:
        outcome.raised, outcome.raised_type = ("RecursionError", str(exc)[:300]), RecursionError
    except Exception as exc:
        if not_implemented(exc, root):
            # the msgid "{name}: not implemented yet" is also how front-ends recognise an untouched stub
            raise Abort(Failure("failed", _("{name}: not implemented yet").format(name=name))) from None
        kind = type(exc)
        outcome.raised = (kind.__qualname__, str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "")
        outcome.raised_type = kind
    outcome.seconds = time.perf_counter() - start
    outcome.forbidden = tuple(guard.forbidden)
    outcome.op_count = guard.op_count
    outcome.inputs_after = (args, kwargs)
    return outcome


def added_modules(count: int, last: str) -> list[str]:
    """The names put in ``sys.modules`` since it held ``count`` names, ``last`` the latest: read
    from its end, as a dict keeps its insertion order (every name is compared only when some
    were also removed meanwhile, since the added ones then cannot be told apart that way)."""
    added = []
    for name in reversed(sys.modules):
        if name == last:
            break
        added.append(name)
    return added if len(added) == len(sys.modules) - count else list(sys.modules)


EXERCISE_FILE = re.compile(r"ex\d\d_\w+\.py")


class Submission:
    """The modules of one submission folder, loaded in this process without leaking into
    ``sys.modules`` (two submissions can define the same module names side by side), unless
    ``resident``: the process runs nothing else (see :meth:`installed`)."""

    def __init__(self, root: Path | str, resident: bool = False):
        libraries.install()  # before any of its code runs: its imports of numpy, scipy, cv2 bind the wrappers
        self.root = Path(root).resolve()
        self.resident = resident
        self._modules: dict[str, ModuleType] = {}  # every module loaded from root, by name
        self._errors: dict[str, Failure] = {}
        self._tampering: dict[Path, list[str]] = {}  # per file

    def source_file(self, module: str) -> Path:
        return self.root / f"{module}.py"

    @contextmanager
    def installed(self) -> Iterator[None]:
        """While inside, the submission's modules are importable by name (a lazy
        ``import ex03_padding_stride`` inside a function works). A :attr:`resident` submission
        (the only code its process runs: a grading worker's) stays installed after the block, and
        what it imports stays in ``sys.modules``; any other is taken out again, with the modules
        its code imported meanwhile."""
        root = str(self.root)
        if self.resident:
            if root not in sys.path:
                sys.path.insert(0, root)
            sys.modules.update(self._modules)
            yield
            return
        saved = {k: sys.modules[k] for k in self._modules if k in sys.modules}
        sys.modules.update(self._modules)
        count, last = len(sys.modules), next(reversed(sys.modules))
        sys.path.insert(0, root)
        try:
            yield
        finally:
            if root in sys.path:
                sys.path.remove(root)
            for k in added_modules(count, last):
                if self._owns(sys.modules[k]):
                    self._modules[k] = sys.modules.pop(k)
            for k in self._modules:
                sys.modules.pop(k, None)
            sys.modules.update(saved)

    def _owns(self, module: ModuleType) -> bool:
        """Whether ``module`` was loaded from this submission's folder (not a same-named module
        that pytest or another submission imported from elsewhere)."""
        file = getattr(module, "__file__", None)
        return bool(file) and Path(file).resolve().is_relative_to(self.root)

    def tampering(self, module: str) -> str:
        """What the code a module runs does to get around the guard ("" when nothing): its own
        file, the submission's helper files, and the exercise files it names (it may import
        them), each read once."""
        own = self.source_file(module).read_text(encoding="utf-8", errors="replace")
        found = []
        for path in sorted(self.root.glob("*.py")):
            exercise = EXERCISE_FILE.fullmatch(path.name)
            if path.stem == module or not exercise or re.search(rf"\b{path.stem}\b", own):
                if path not in self._tampering:
                    self._tampering[path] = tampering(path.read_text(encoding="utf-8", errors="replace"))
                found += [f"{item} ({path.name})" for item in self._tampering[path]]
        return ", ".join(found)

    def presence(self, module: str, name: str) -> Failure | None:
        """None when ``module.name`` loads and is callable; else why not."""
        loaded = self.load(module)
        if isinstance(loaded, Failure):
            return loaded
        if not callable(getattr(loaded, name, None)):
            return Failure("not_submitted", _("{module}.py defines no {name}").format(module=module, name=name))
        return None

    def load(self, module: str) -> ModuleType | Failure:
        """The module, loaded once; or the failure that stops it from loading."""
        if module in self._errors:
            return self._errors[module]
        if module in self._modules:
            return self._modules[module]
        path = self.source_file(module)
        if not path.is_file():
            loaded = Failure("not_submitted", _("{module}.py was not submitted").format(module=module))
        else:
            loaded = self._import(module, path)
        if isinstance(loaded, Failure):
            self._errors[module] = loaded
        else:
            self._modules[module] = loaded
        return loaded

    def _import(self, module: str, path: Path) -> ModuleType | Failure:
        tampered = self.tampering(module)
        if tampered:
            return Failure("forbidden", _("the submission uses {tampered}: code that switches off or goes around "
                                          "the grader's guard is refused").format(tampered=tampered))
        dont_write = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        try:
            with self.installed():
                sibling = sys.modules.get(module)  # imported already by a sibling module of this submission
                if sibling is not None and self._owns(sibling):
                    return sibling
                spec = importlib.util.spec_from_file_location(module, path)
                mod = importlib.util.module_from_spec(spec)
                sys.modules[module] = mod
                try:
                    spec.loader.exec_module(mod)
                except SyntaxError as exc:
                    del sys.modules[module]
                    return Failure("error", _("{module}.py has a syntax error at line {line}: {message}")
                                   .format(module=module, line=exc.lineno, message=exc.msg))
                except SystemExit:
                    del sys.modules[module]
                    return Failure("crashed", _("{module}.py called sys.exit() while being imported")
                                   .format(module=module))
                except Exception as exc:
                    del sys.modules[module]
                    return Failure("error", _("{module}.py failed to import: {error}: {message}")
                                   .format(module=module, error=type(exc).__name__, message=exc))
                return mod
        finally:
            sys.dont_write_bytecode = dont_write


class InProcessTarget:
    """Runs the student's code in this process (the pytest front-end), each call within
    ``limits`` (:func:`grader.run.limits.bounded`)."""

    def __init__(self, root: Path | str, limits: Limits = Limits()):
        self.submission = Submission(root)
        self.limits = limits

    def presence(self, module: str, name: str) -> Failure | None:
        return self.submission.presence(module, name)

    def call(self, module: str, name: str, args: tuple, kwargs: dict[str, Any], *,
             forbidden: str | None, procedure: str | None = None) -> CallOutcome:
        failure = self.presence(module, name)
        if failure:
            raise Abort(failure)
        fn = getattr(self.submission.load(module), name)
        with self.submission.installed():
            return invoke(fn, args, kwargs, forbidden=forbidden, name=name, procedure=procedure,
                          root=self.submission.root, limits=self.limits)
