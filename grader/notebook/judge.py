"""The judge process of a notebook kernel: ``python -I -m grader.notebook.judge MODULE [LANGUAGE]``.

The armed cell starts it before any student code runs, so nothing a student's cell changes in
the kernel (torch, its Tensor methods, builtins, the grader's modules) reaches it. It answers
one JSON line on stdout per JSON line on stdin:

    request: {"task": "cust_conv2d", "check": "matches_torch", "profile": "student",
              "seed": 20261128, "cells": ["import torch", "def cust_conv2d(X, K): ..."]}
    reply:   {"passed": false, "status": "failed", "points": 0.0, "max_points": 2.0,
              "lines": ["cust_conv2d: result has shape ...", ...]}   or   {"error": "why"}

It grades the cells' code (:func:`grader.notebook.cellcode.module_code`) in a confined worker,
writes nothing else on stdout (anything printed goes to its stderr, which the kernel keeps out
of the notebook) and exits at the end of its input. Its feedback is in LANGUAGE (a key of
:data:`grader.i18n.LANGUAGES`, the course's: the armed cell passes it on), English by default.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from grader.engine.settings import Settings
from grader.i18n import DEFAULT, set_language
from grader.notebook.cellcode import module_code
from grader.notebook.verdict import NotebookGrader, verdict_lines, warm


def answer(grader: NotebookGrader, request: dict[str, Any]) -> dict[str, Any]:
    settings = Settings(profile=request["profile"], seed=int(request["seed"]))
    code = module_code(str(cell) for cell in request["cells"])
    check, result = grader.grade(code, request["task"], request["check"], settings)
    return {"passed": result.passed, "status": result.status, "points": result.points,
            "max_points": result.max_points,
            "lines": verdict_lines(check, result, settings, grader.same_as(result, settings))}


def serve(grader: NotebookGrader, requests: TextIO, replies: TextIO) -> None:
    for line in requests:
        try:
            reply = answer(grader, json.loads(line))
        except Exception as exc:  # a malformed request, an unknown check: say so, keep serving
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main(argv: list[str] | None = None) -> int:
    module, *language = argv if argv is not None else sys.argv[1:]
    set_language(language[0] if language else DEFAULT)
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints (torch, hypothesis) must not corrupt the replies
    with NotebookGrader(module) as grader:
        warm()
        serve(grader, sys.stdin, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
