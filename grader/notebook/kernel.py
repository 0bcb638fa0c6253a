"""The kernel side of a course notebook: what the locked first cell arms, what test cells call.

``arm(module, seed, lang)`` runs before any student code. It

* sets the language of the feedback (the course's, :mod:`grader.i18n`);
* starts the judge process (:mod:`grader.notebook.judge`), which imports torch and the grader
  itself: nothing a later cell changes in this kernel reaches it;
* records the source of every cell that then runs without error (IPython's ``post_run_cell``
  event), except the grader's own cells (:func:`grader.notebook.cellcode.uses_session`);
* takes a :class:`grader.notebook.integrity.Snapshot` of everything the relay between test
  cells and the judge uses: builtins, this module and its classes, the standard-library
  modules it calls (json, subprocess, select, os, time), IPython's traceback display and its
  input and AST transformers.

``Session.check(task, check)`` re-checks the snapshot, sends the recorded cells to the judge,
which grades them in a confined worker with the registry's check, checks the snapshot again,
and raises :class:`CheckFailedError` (an AssertionError whose message is the grader's feedback)
when the check failed or something the relay uses was changed.

What this can and cannot stop: a student's cell that redefines ``torch.allclose``, a Tensor
method, ``isinstance`` or a grader function changes nothing in the judge (their code runs again
in the worker, where only their own functions are affected) or is named in a failed cell. Code
bent on fooling this kernel's display (replacing ``convgrade.check`` itself, or IPython's
machinery) can fool the notebook its author sees, never the grade: ``nbgrader autograde`` runs
the notebook with test cells deferred (``CONVGRADE_VERDICTS=outside``) and grades its code
outside the kernel (:mod:`grader.notebook.autograde`).

This module imports only the standard library (and IPython, which runs it) and the grader's
standard-library-only helpers (:mod:`grader.i18n` reads its catalog with Babel when arming), so
arming is quick and the kernel-side code a student could reach is small.
"""

from __future__ import annotations

import builtins
import json
import json.decoder
import json.encoder
import json.scanner
import os
import select
import subprocess
import sys
import tempfile
import time
from typing import Any

from grader.i18n import _, current_language, set_language
from grader.notebook import cellcode, integrity
from grader.notebook.integrity import Namespace, Snapshot

DEFER_VARIABLE = "CONVGRADE_VERDICTS"
DEFERRED = "outside"
"""While ``CONVGRADE_VERDICTS=outside`` (set by the autograde step), test cells do not grade."""

REPLY_SECONDS = 280.0
"""How long a test cell waits for the judge: less than the course's cell timeout (300 s), more
than the grader's own limit on one check's worker (120 s) plus the judge's start."""

SHELL_HOOKS = ("showtraceback", "_showtraceback", "showsyntaxerror", "CustomTB", "run_cell", "run_cell_async",
               "run_ast_nodes", "run_code", "transform_cell")
"""IPython shell methods a student could shadow on the instance to hide a failing cell."""

BUILTINS_IN_FLUX = ("_", "input")
"""Builtins the kernel itself rebinds for every cell (the last result; ``input`` forwarded to
the front-end)."""


class CheckFailedError(AssertionError):
    """A failed check: its message is the grader's feedback, shown without a traceback."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = list(lines)

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback (which would show the test cell's code)."""
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self.lines[0] if self.lines else ''}", *self.lines[1:]]


class Judge:
    """The judge process and its pipes: one JSON request, one JSON reply, at a time; its
    feedback is in ``language``."""

    def __init__(self, module: str, language: str):
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen([sys.executable, "-I", "-m", "grader.notebook.judge", module, language],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                                         bufsize=0, close_fds=True)

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The judge's reply; raises :class:`CheckFailedError` when it cannot give one."""
        if self._process.poll() is not None:
            raise CheckFailedError([self._stopped()])
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
        except OSError:
            raise CheckFailedError([self._stopped()]) from None
        deadline = time.monotonic() + timeout
        fd = self._process.stdout.fileno()
        reply = b""
        while not reply.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self._process.kill()
                raise CheckFailedError([_("the grader did not answer within {seconds} s and was stopped; restart "
                                          "the kernel and run the notebook from the top").format(
                                              seconds=f"{timeout:g}")])
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise CheckFailedError([self._stopped()])
            reply += chunk
        return json.loads(reply)

    def _stopped(self) -> str:
        code = self._process.wait()
        self._log.seek(0)
        last = self._log.read().decode(errors="replace").strip().splitlines()[-1:]
        if last:
            return _("the grader's judge process stopped (exit status {code}) ({why}); restart the kernel and run "
                     "the notebook from the top").format(code=code, why=last[0][:300])
        return _("the grader's judge process stopped (exit status {code}); restart the kernel and run the notebook "
                 "from the top").format(code=code)


class Session:
    """What the armed cell binds to ``convgrade``: test cells call :meth:`check`."""

    __slots__ = ("seed", "_judge", "_cells", "_snapshot")

    def __init__(self, module: str, seed: int, shell: Any, language: str):
        self.seed = seed
        self._cells: list[str] = []
        self._judge = Judge(module, language)
        shell.events.register("post_run_cell", self._post_run_cell)
        self._snapshot = Snapshot(watched(shell))

    def _post_run_cell(self, result: Any) -> None:
        source = result.info.raw_cell if result.info is not None else ""
        if result.success and not cellcode.uses_session(source):
            self._cells.append(source)

    def check(self, task: str, check: str, profile: str = "student") -> None:
        """Grade ``task``'s ``check`` on the cells run so far; raise :class:`CheckFailedError`
        with the grader's feedback when it fails."""
        if os.environ.get(DEFER_VARIABLE) == DEFERRED:
            raise deferred(task, check)
        self._trust()
        reply = self._judge.ask({"task": task, "check": check, "profile": profile, "seed": self.seed,
                                 "cells": list(self._cells)}, REPLY_SECONDS)
        self._trust()
        if "error" in reply:
            raise CheckFailedError([_("convgrade could not grade {task}[{check}]: {error}").format(
                task=task, check=check, error=reply["error"])])
        if not reply["passed"]:
            raise CheckFailedError(reply["lines"])
        print("\n".join(reply["lines"]))

    def _trust(self) -> None:
        changed = self._snapshot.changes()
        if changed:
            more = ["    " + _("and {count} more").format(count=len(changed) - 8)] if len(changed) > 8 else []
            raise CheckFailedError([_("convgrade cannot trust this kernel: after the grader was armed, a cell changed"),
                                    *(f"    {name}" for name in changed[:8]), *more,
                                    _("Restart the kernel and run the notebook from the top without changing them."),
                                    *_("(Grades never depend on them: nbgrader autograde grades your code outside\n"
                                       "the kernel.)").splitlines()])


class Deferred:
    """What the armed cell binds to ``convgrade`` under autograde: no judge, no recording."""

    def check(self, task: str, check: str, profile: str = "student") -> None:
        raise deferred(task, check)


def deferred(task: str, check: str) -> CheckFailedError:
    """A deferred test cell fails: if the autograde step that replaces its output with the
    verdict is missing, the cell scores 0 instead of passing unchecked."""
    return CheckFailedError([_("{task}[{check}] is graded outside the kernel by convgrade's autograde step, which "
                               "replaces this output with the verdict").format(task=task, check=check)])


def watched(shell: Any) -> dict[str, Namespace]:
    """The namespaces the relay between a test cell and the judge depends on (see the module
    docstring), by the label a tampering message names them with."""
    here = sys.modules[__name__]
    shell_type = type(shell)
    spaces: dict[str, Namespace] = {
        "builtins": lambda: {k: v for k, v in vars(builtins).items() if k not in BUILTINS_IN_FLUX},
        here.__name__: lambda: vars(here),
        integrity.__name__: lambda: vars(integrity),
        cellcode.__name__: lambda: vars(cellcode),
        "Session": lambda: vars(Session),
        "Judge": lambda: vars(Judge),
        "CheckFailedError": lambda: vars(CheckFailedError),
        "Snapshot": lambda: vars(Snapshot),
        "shell": lambda: {**{name: vars(shell).get(name) for name in SHELL_HOOKS},
                          "custom_exceptions": tuple(shell.custom_exceptions),
                          "input_transformers_cleanup": tuple(shell.input_transformers_cleanup),
                          "input_transformers_post": tuple(shell.input_transformers_post),
                          "ast_transformers": tuple(shell.ast_transformers)},
    }
    for cls in shell_type.__mro__[:-1]:
        if cls.__module__.startswith(("IPython.", "ipykernel.")):
            spaces[f"{cls.__module__}.{cls.__qualname__}"] = lambda cls=cls: vars(cls)
    for module in (json, json.decoder, json.encoder, json.scanner, os, select, subprocess, time):
        spaces[module.__name__] = lambda module=module: vars(module)
    return spaces


def arm(module: str, seed: int, lang: str | None = None) -> Session | Deferred:
    """Arm the grader for one exercise's notebook (the locked first cell calls this), its
    feedback in ``lang`` (a key of :data:`grader.i18n.LANGUAGES`; default: this kernel's).

    Under autograde (``CONVGRADE_VERDICTS=outside``) nothing is started: test cells defer to the
    autograde step."""
    from IPython import get_ipython

    if lang is not None:
        set_language(lang)
    shell = get_ipython()
    if shell is None:
        raise RuntimeError(_("convgrade notebooks run in a Jupyter (IPython) kernel"))
    if os.environ.get(DEFER_VARIABLE) == DEFERRED:
        return Deferred()
    return Session(module, seed, shell, current_language())
