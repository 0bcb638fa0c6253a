"""Time and memory limits on student code, and their enforcement around one call in this process.

:class:`Limits` holds the numbers; every front-end uses the same defaults. The batch grader, the
nbgrader judge and the Gradescope autograder enforce them in a confined worker process
(:mod:`grader.run.sandbox`), which the judge kills when a call overruns. ``pytest exercises/`` calls
the student's code in its own process (fast, and a student can debug it), so :func:`bounded`
enforces them there:

* time: a watchdog thread signals the main thread at the deadline (:data:`CALL_SIGNAL`, a
  real-time signal where there is one, so pytest-timeout's SIGALRM is left alone). Its handler
  raises :class:`CallTimedOut` (a BaseException: ``except Exception`` in student code does not
  swallow it), and signals again every :data:`RESIGNAL_SECONDS` until the call ends. A single
  C call (one torch op) is interrupted when it returns;
* memory: the soft address-space limit is lowered to what the process maps now plus
  ``memory_mb`` while the call runs, so a runaway allocation fails (``MemoryError``, or torch's
  "can't allocate memory") instead of taking the machine; the previous limit comes back after.

Where the platform lacks a piece (no signals from threads on Windows, no ``RLIMIT_AS`` on
macOS), that piece is not enforced; the call still runs.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

RESIGNAL_SECONDS = 0.5
CALL_SIGNAL: int | None = (getattr(signal, "SIGRTMIN", None) and signal.SIGRTMIN + 6) or getattr(signal, "SIGUSR2", None)
"""The signal the watchdog sends the main thread (None: the platform has none to send)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of student code."""

    call_seconds: float = 10.0  # one call of student code
    exercise_seconds: float = 120.0  # all calls of one exercise together (batch grader)
    memory_mb: int = 2048  # memory one call (a worker) may add to what the process already maps
    confined: bool = True  # workers enter the kernel's confinement (grader.run.confine); False only to measure its cost


class CallTimedOut(BaseException):
    """Raised in the main thread when the call in progress passes its time limit."""


class _Watchdog:
    """One daemon thread that signals the main thread when the armed deadline passes."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._deadline: float | None = None
        self._main = threading.main_thread().ident
        signal.signal(CALL_SIGNAL, self._on_signal)
        threading.Thread(target=self._watch, name="convgrade-call-watchdog", daemon=True).start()

    def _on_signal(self, signum: int, frame: Any) -> None:
        deadline = self._deadline
        if deadline is not None and time.monotonic() >= deadline:
            raise CallTimedOut()

    def _watch(self) -> None:
        with self._lock:
            while True:
                if self._deadline is None:
                    self._lock.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._lock.wait(left)
                    continue
                signal.pthread_kill(self._main, CALL_SIGNAL)
                self._lock.wait(RESIGNAL_SECONDS)

    @contextmanager
    def armed(self, seconds: float) -> Iterator[None]:
        with self._lock:
            self._deadline = time.monotonic() + seconds
            self._lock.notify()
        try:
            yield
        finally:
            self._deadline = None  # first: a handler that runs before this line raises into the block


_WATCHDOG: _Watchdog | None = None


def _watchdog() -> _Watchdog | None:
    """The process's watchdog, started on first use (None where it cannot work: no signal to
    send, or not called from the main thread, which alone may install a signal handler)."""
    global _WATCHDOG
    if _WATCHDOG is None and CALL_SIGNAL is not None and hasattr(signal, "pthread_kill") \
            and threading.current_thread() is threading.main_thread():
        _WATCHDOG = _Watchdog()
    return _WATCHDOG if threading.current_thread() is threading.main_thread() else None


def mapped_bytes() -> int:
    """The address space this process maps now (0 where /proc is not there to say)."""
    try:
        with open("/proc/self/status") as status:
            return next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize")), 0)
    except OSError:
        return 0


@contextmanager
def _memory_capped(memory_mb: int) -> Iterator[None]:
    mapped = mapped_bytes()
    if resource is None or not hasattr(resource, "RLIMIT_AS") or not mapped:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = mapped + memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextmanager
def bounded(limits: Limits) -> Iterator[None]:
    """Run the block (one call of student code) within ``limits.call_seconds`` and
    ``limits.memory_mb``; :class:`CallTimedOut` is raised inside it when time runs out."""
    watchdog = _watchdog()
    with _memory_capped(limits.memory_mb):
        if watchdog is None:
            yield
        else:
            with watchdog.armed(limits.call_seconds):
                yield
