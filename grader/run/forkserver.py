"""The run's forkserver: every judge and every worker of a run is forked from one server
process that imported torch and the worker's modules once (:func:`context`).

:func:`start` launches it at once, so that it imports torch while the command does (``convgrade
grade`` needs both). A child of a forkserver inherits the server's address and holds a copy of
its liveness pipe, but Python's ``multiprocessing`` (3.11) starts a new server for the child's
own children anyway; :func:`share_parent` makes a judge ask the run's server instead. Each
worker is still a fresh process forked from the server's clean state (not from the judge),
confined before any student code runs (:mod:`grader.run.sandbox`).

This module imports no torch: the command line starts the server before it imports anything
heavy.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver, resource_tracker

PRELOAD = ["torch", "grader.run.sandbox", "grader.run.target", "grader.batch", "grader.run.preload"]
"""What the server imports before it forks anyone (the judges' module too: a worker deletes
every grader module from ``sys.modules`` before any student code runs), the preload last."""

_CONTEXT: multiprocessing.context.BaseContext | None = None


def context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of the run's forkserver, preloaded with :data:`PRELOAD`."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(PRELOAD)
    return _CONTEXT


def start() -> None:
    """Launch the server now (it goes on importing in the background); idempotent."""
    context()
    forkserver.ensure_running()


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
