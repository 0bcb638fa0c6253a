"""One forkserver per run: a judge forks its workers from the forkserver it was itself forked
from, instead of starting its own (a process that imports torch again, per judge).

A batch run's judges are forked from this process's forkserver (:func:`grader.sandbox.context`,
preloaded with torch and the worker's modules). A child of a forkserver inherits the server's
address and holds a copy of its liveness pipe, but Python's ``multiprocessing`` (3.11) starts a
new server for the child's own children anyway; :func:`share_parent` makes it ask the parent's
instead. Each worker is still a fresh process forked from the server's clean state (not from the
judge), confined before any student code runs (:mod:`grader.sandbox`).
"""

from __future__ import annotations

from multiprocessing import forkserver, resource_tracker


def share_parent() -> bool:
    """In a process forked by a forkserver: fork this process's children from that same server
    (it is checked for liveness by the resource tracker's pipe, as the parent's children are).
    Returns whether there was such a server to share (False in any other process: nothing
    changes)."""
    server = forkserver._forkserver
    if server._forkserver_pid is not None or server._forkserver_address is None or server._forkserver_alive_fd is None:
        return False
    server.ensure_running = resource_tracker.ensure_running  # never start a server of our own
    return True
