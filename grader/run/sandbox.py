"""The isolated worker: a submission's code runs only here, never in the judge.

One worker process serves one exercise of one submission. It is forked from the run's
forkserver, which has already imported torch and the grader (a warm start: importing torch is
not paid per submission; :mod:`grader.run.forkserver`). The judge writes the submission's files (snapshotted before any student code ran)
into a fresh private folder, and the worker

* closes the pipes it inherited from the forkserver (its liveness pipe, the resource
  tracker's), keeping only its connection to the judge,
* sends its stdout and stderr to /dev/null,
* caps its address space (``--memory``) and the size of files it may write (0),
* blocks imports of the grader, the solutions, the tests and the installed exercise packs,
* enters the kernel's confinement (:mod:`grader.run.confine`): its own PID, user and network
  namespaces, Landlock (it reads only the runtime and its private folder, writes nothing,
  signals nothing outside), seccomp (no sockets), so nothing it does reaches the judge, the
  repository, other submissions or the network, and nothing it starts outlives it,

and answers the judge's requests (``presence``, ``call``) over a pipe, in order; the judge may
send several calls before it reads the first reply (:meth:`WorkerTarget.submit`). Both
directions are one frame of :mod:`grader.run.codec` (plain data, raw tensors, ``torch.save`` bytes
only for tensors of other dtypes, read with ``torch.load(weights_only=True)``): the judge never
unpickles anything a worker sends, and tensors travel as CPU data that the reader puts back on
their device (CUDA tensors never go through pickling or CUDA IPC). A call that overruns its time
limit, or a worker that dies, becomes an :class:`grader.engine.outcome.Abort` with status ``timeout``
or ``crashed``; the worker is killed with its whole sandbox, its folder removed, and the next
exercise gets a new one.
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import importlib.abc
import math
import os
import resource
import shutil
import signal
import stat
import sys
import tempfile
import time
import types
from multiprocessing import forkserver, resource_tracker
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from grader.engine import timings
from grader.engine.outcome import Abort, CallOutcome, Failure
from grader.i18n import _, current_language, set_language
from grader.run import codec, confine
from grader.run.forkserver import context
from grader.run.limits import Limits, mapped_bytes

BLOCKED_PACKAGES = ("grader", "solutions", "exercises", "tests", "convgrade")
MAX_REPLY_BYTES = 256 * 1024 * 1024
"""A worker's reply larger than this is refused unread (a worker cannot make the judge allocate
its whole memory)."""


def pack_packages() -> tuple[str, ...]:
    """The top-level packages of every installed exercise pack (its catalog and its model
    answers): blocked from submissions like :data:`BLOCKED_PACKAGES`."""
    from grader.engine import registry
    return tuple(name for pack in registry.packs() for name in pack.packages)


_NOTED: tuple[tuple[int, str], tuple[str, ...], tuple[str, ...]] | None = None
"""What :func:`note_trusted_modules` noted: the state of ``sys.modules`` then (its number of
names and its last one), the top-level packages, the names found."""


def trusted_module_names(packages: tuple[str, ...]) -> list[str]:
    """The names in ``sys.modules`` of the modules of ``packages`` (the grader's, the packs'). As
    noted by the forkserver when ``sys.modules`` is as it left it (the same number of names, the
    same last one: a name added since comes last); else found by going through every name,
    which in a forked worker writes to (and so copies) every page holding one, a few
    milliseconds of every worker's start."""
    if _NOTED is not None and _NOTED[:2] == ((len(sys.modules), next(reversed(sys.modules))), packages):
        return list(_NOTED[2])
    return [k for k in sys.modules if k.partition(".")[0] in packages]


def note_trusted_modules(importing: str) -> None:
    """Note, in the forkserver once it imported everything, the names :func:`trusted_module_names`
    gives its workers. ``importing`` is the module being imported that calls this: the import
    system moves it last in ``sys.modules`` once it has run."""
    global _NOTED
    packages = ("grader", *pack_packages())
    _NOTED = ((len(sys.modules), importing), packages, tuple(trusted_module_names(packages)))


class _BlockImports(importlib.abc.MetaPathFinder):
    def __init__(self, blocked: tuple[str, ...] = BLOCKED_PACKAGES):
        self.blocked = blocked

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in self.blocked:
            raise ImportError(_("{name} cannot be imported from a submission").format(name=name))
        return None


def _close_inherited_pipes(keep: int) -> None:
    """Close every pipe and socket a forkserver's child inherits besides its connection to the
    judge (``keep``): among them the write ends of the forkserver's liveness pipe and of
    multiprocessing's resource tracker, through which a submission could stop the forkserver or
    have the tracker unlink any shared-memory object or semaphore on the machine."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            kind = os.fstat(fd).st_mode
        except OSError:
            continue
        if fd > 2 and fd != keep and (stat.S_ISFIFO(kind) or stat.S_ISSOCK(kind)):
            os.close(fd)
    resource_tracker._resource_tracker._fd = None  # closed: never write to whatever reuses its number
    forkserver._forkserver._forkserver_alive_fd = None


def _confine(folder: str, limits: Limits, keep: int) -> dict[str, Any]:
    """Steps a fresh worker takes before any student code runs (see the module docstring);
    ``keep`` is the file descriptor of its connection to the judge. Returns the grader's
    modules, kept out of ``sys.modules`` for the worker's own use."""
    _close_inherited_pipes(keep)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    os.chdir(folder)
    limit = mapped_bytes() + limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write then fails with an OSError instead of killing us
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    packs = pack_packages()
    trusted = {k: sys.modules.pop(k) for k in trusted_module_names(("grader", *packs))}
    project = str(Path(__file__).resolve().parents[2])
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != Path(project)]
    sys.meta_path.insert(0, _BlockImports((*BLOCKED_PACKAGES, *packs)))
    if limits.confined:
        confine.enter(confine.worker_policy(folder))
    else:
        os.setsid()  # only the session: the judge kills it, not what left it
    return trusted


def worker_main(conn: Any, folder: str, limits: Limits, language: str) -> None:
    """The worker's whole life: confine, then serve requests until told to stop. Its messages
    are in the judge's ``language`` (the catalog is read before any student code runs)."""
    from grader.run.target import Submission, invoke

    set_language(language)
    trusted = _confine(folder, limits, conn.fileno())
    submission = Submission(folder, resident=True)

    def resolve(path: str) -> Any:
        module, _, attr = path.partition(":")
        return getattr(trusted[module], attr)

    while True:
        try:
            request = codec.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        kind = request[0]
        try:
            if kind == "presence":
                _, module, name = request
                missing = submission.presence(module, name)
                reply = ("failure", missing.status, missing.headline) if missing else ("ok",)
            elif kind == "call":
                _, module, name, args, kwargs, forbidden, procedure, want_inputs = request
                fn = getattr(submission.load(module), name)
                with submission.installed():
                    out = invoke(fn, args, kwargs, forbidden=forbidden, name=name, procedure=procedure,
                                 root=submission.root, resolve=resolve)
                mro = [c.__name__ for c in out.raised_type.__mro__] if out.raised_type else None
                reply = ("outcome", out.value, out.raised, mro,
                         list(out.forbidden), out.inputs_after if want_inputs else None, out.op_count, out.seconds)
            else:
                return
        except Abort as exc:
            reply = ("failure", exc.failure.status, exc.failure.headline)
        except BaseException as exc:  # KeyboardInterrupt, MemoryError, ... from student code
            message = (_("{name} raised {error}: {message}") if kind == "call" else
                       _("import raised {error}: {message}"))
            reply = ("failure", "crashed", message.format(name=name if kind == "call" else "",
                                                          error=type(exc).__name__, message=str(exc)[:200]))
        try:
            conn.send_bytes(codec.dumps(reply))
        except BaseException as exc:  # an unencodable reply: tell the judge, do not hang it
            conn.send_bytes(codec.dumps(("failure", "error", _("the result could not be sent back: {error}: {message}")
                                         .format(error=type(exc).__name__, message=str(exc)[:200]))))


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """While a worker starts, this process's ``__main__`` is an empty module, so multiprocessing
    does not make the worker import it again: the worker needs nothing from it, and a Ray
    worker's main module imports all of Ray (seconds per worker)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


_BUILTIN_EXCEPTIONS = {name: obj for name, obj in vars(builtins).items()
                       if isinstance(obj, type) and issubclass(obj, BaseException)}


AHEAD_BYTES = 64 * 1024
"""Requests sent ahead of their replies hold at most this many bytes, well within a socket's
buffer: the judge never blocks on a send while the worker blocks on a reply."""


@dataclass(eq=False)
class _Ticket:
    """A request queued for the worker."""

    payload: bytes  # encoded
    what: str  # how a failure names it
    sent: bool = False
    broken: bool = False  # sending it failed: the worker is gone


class WorkerTarget:
    """A :class:`grader.run.target.Target` whose calls run in a confined worker process."""

    def __init__(self, files: dict[str, str], limits: Limits):
        self.files = files
        self.limits = limits
        self._folder: str | None = None
        self._process: Any = None
        self._conn: Any = None
        self._spent = 0.0
        self._presence: dict[tuple[str, str], Failure | None] = {}
        self._queue: collections.deque[_Ticket] = collections.deque()  # requests awaiting a reply, in order

    def _start(self) -> None:
        ctx = context()
        self._folder = tempfile.mkdtemp(prefix="convgrade-worker-")
        for name, text in self.files.items():
            (Path(self._folder) / name).write_text(text, encoding="utf-8")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=worker_main, daemon=True,
                                    args=(child, self._folder, self.limits, current_language()))
        with _main_module_hidden():
            self._process.start()
        child.close()
        self._conn = parent

    def close(self) -> None:
        """Kill the worker and everything it started."""
        self._queue.clear()
        if self._process is None:
            return
        if self._process.pid is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._process.kill()
        self._process.join(timeout=5)
        self._conn.close()
        self._process = None
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> WorkerTarget:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _ask(self, request: tuple, what: str) -> tuple:
        """Send ``request`` and wait for its reply (after the replies of calls sent ahead)."""
        ticket = _Ticket(codec.dumps(request), what)
        self._queue.append(ticket)
        return self._reply(ticket)

    def _pump(self) -> None:
        """Send the queued requests not sent yet, in order, while those awaiting a reply hold
        at most :data:`AHEAD_BYTES` (the first always goes when none is awaited)."""
        if self.limits.exercise_seconds - self._spent <= 0:
            return  # the next reply aborts the exercise: nothing more to start or send
        waiting = sum(len(t.payload) for t in self._queue if t.sent)
        for ticket in self._queue:
            if ticket.sent:
                continue
            if waiting and waiting + len(ticket.payload) > AHEAD_BYTES:
                return
            if self._process is None:
                self._start()
            start = time.monotonic()
            try:
                self._conn.send_bytes(ticket.payload)
            except (OSError, BrokenPipeError):
                ticket.broken = True
            self._spent += time.monotonic() - start
            ticket.sent = True
            waiting += len(ticket.payload)

    def _reply(self, ticket: _Ticket) -> tuple:
        """The reply to ``ticket``; the replies to the requests queued before it are read first
        and dropped (calls sent ahead whose results the judge no longer needs: a failure of
        theirs only ends this worker, and the next request starts a new one)."""
        while self._queue and self._queue[0] is not ticket:
            try:
                self._receive(self._queue[0])
            except Abort:
                pass  # close() emptied the queue
        if not self._queue:  # its worker was closed meanwhile: send it to a new one
            ticket.sent = ticket.broken = False
            self._queue.append(ticket)
        self._pump()
        reply = self._receive(ticket)
        self._pump()  # keep the worker busy while the judge judges
        return reply

    def _receive(self, ticket: _Ticket) -> tuple:
        """Wait for the reply to ``ticket``, the first request awaiting one, within the time
        limits; a timeout, a dead worker or an unreadable reply closes the worker and aborts."""
        self._queue.popleft()
        what = ticket.what
        left = self.limits.exercise_seconds - self._spent
        if left <= 0:
            self.close()  # whatever it still runs is not needed
            raise Abort(Failure("timeout", _("the exercise ran out of time ({seconds} s in all)")
                                .format(seconds=f"{self.limits.exercise_seconds:g}")))
        timeout = min(self.limits.call_seconds, left)
        start = time.monotonic()
        try:
            ready = not ticket.broken and self._conn.poll(timeout)
            payload = self._conn.recv_bytes(MAX_REPLY_BYTES) if ready else None
        except (EOFError, OSError, BrokenPipeError):
            payload, ready = None, True
        ready = ready or ticket.broken
        self._spent += time.monotonic() - start
        if not ready:
            self.close()
            message = (_("{what} did not finish within {seconds} s (its time limit); an infinite loop?")
                       if timeout == self.limits.call_seconds else
                       _("{what} did not finish within {seconds} s (the exercise's time limit); an infinite loop?"))
            raise Abort(Failure("timeout", message.format(what=what, seconds=f"{timeout:.3g}")))
        if payload is None:
            code = self._process.exitcode if self._process else None
            if self._process is not None:
                self._process.join(timeout=2)
                code = self._process.exitcode
            self.close()
            raise Abort(Failure("crashed", _("{what} killed its process ({how})")
                                .format(what=what, how=describe_exit(code))))
        try:
            return codec.loads(payload)
        except Exception as exc:
            self.close()
            raise Abort(Failure("crashed", _("{what} sent back an unreadable reply ({error})")
                                .format(what=what, error=type(exc).__name__)))

    def presence(self, module: str, name: str) -> Failure | None:
        key = (module, name)
        if key not in self._presence:
            if f"{module}.py" not in self.files:
                self._presence[key] = Failure("not_submitted", _("{module}.py was not submitted").format(module=module))
            else:
                try:
                    with timings.timed(timings.STARTUP):  # the worker's start and confinement, then the import
                        reply = self._ask(("presence", module, name), _("importing {module}.py").format(module=module))
                    self._presence[key] = None if reply[0] == "ok" else Failure(reply[1], reply[2])
                except Abort as exc:
                    self._presence[key] = exc.failure
        return self._presence[key]

    def call(self, module: str, name: str, args: tuple, kwargs: dict[str, Any], *,
             forbidden: str | None, procedure: str | None = None) -> CallOutcome:
        return self.submit(module, name, args, kwargs, forbidden=forbidden, procedure=procedure)()

    def submit(self, module: str, name: str, args: tuple, kwargs: dict[str, Any], *,
               forbidden: str | None, procedure: str | None = None, inputs: bool = True) -> Callable[[], CallOutcome]:
        """:meth:`call`, in two steps: the request is sent now (or as soon as the requests sent
        ahead of it leave room), and the returned function waits for its outcome. Outcomes must
        be asked for in the order of the submits; one not asked for is read and dropped before
        the next that is. Without ``inputs``, the worker does not send the arguments back as the
        call left them (the outcome's ``inputs_after`` are then the arguments as sent)."""
        failure = self.presence(module, name)
        if failure:
            raise Abort(failure)
        want_inputs = inputs and procedure is None
        ticket = _Ticket(codec.dumps(("call", module, name, args, kwargs, forbidden, procedure, want_inputs)), name)
        self._queue.append(ticket)
        self._pump()

        def outcome() -> CallOutcome:
            start = time.perf_counter()
            try:
                reply = self._reply(ticket)
            finally:
                round_trip = time.perf_counter() - start
            if reply[0] == "failure":
                timings.add(timings.TRANSPORT, round_trip)
                raise Abort(Failure(reply[1], reply[2]))
            _, value, raised, raised_mro, forbidden_calls, inputs_after, op_count, seconds = reply
            split_round_trip(round_trip, seconds)
            return CallOutcome(
                value=value,
                raised=tuple(raised) if raised else None,
                raised_type=_exception_type(raised_mro),
                forbidden=tuple(str(f) for f in forbidden_calls or ()),
                inputs_after=tuple(inputs_after) if inputs_after else (args, kwargs),
                op_count=int(op_count) if isinstance(op_count, int) else 0,
                seconds=time.perf_counter() - start,
            )

        return outcome


def split_round_trip(round_trip: float, reported: Any) -> None:
    """Count a call's round trip in the timings: the seconds the worker says the student's code
    took (bounded by the round trip; used for nothing else), the rest as transport."""
    finite = type(reported) is float and math.isfinite(reported)
    student = min(max(reported, 0.0), round_trip) if finite else 0.0
    timings.add(timings.STUDENT, student)
    timings.add(timings.TRANSPORT, round_trip - student)


def _exception_type(mro: Any) -> type | None:
    """The most derived builtin exception class in the MRO the worker reported (torch's errors
    are builtin classes: RuntimeError, ValueError, NotImplementedError...)."""
    for name in mro if isinstance(mro, list) else ():
        if isinstance(name, str) and name in _BUILTIN_EXCEPTIONS:
            return _BUILTIN_EXCEPTIONS[name]
    return None


def describe_exit(code: int | None) -> str:
    """How a worker ended, in words: ``killed by signal SIGSEGV``, ``exit status 3``..."""
    if code is None:
        return _("no exit status")
    if code < 0:
        try:
            return _("killed by signal {signal}").format(signal=signal.Signals(-code).name)
        except ValueError:
            return _("killed by signal {signal}").format(signal=-code)
    return _("exit status {code}: os._exit or a crash").format(code=code)
