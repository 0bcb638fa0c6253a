"""Recognising classic mistakes in a failing result.

A failed check carries its (shrunk) counterexample and what the student returned. Each of the
task's catalogued :class:`grader.engine.exercise.Mistake` s is applied to the same input; the first
whose result equals the student's (shape and values; dtype and device aside) names the
mistake. Two mistakes need no catalogue: a result of the wrong dtype or on the wrong device.
"""

from __future__ import annotations

import torch

from grader.engine.compare import compare
from grader.engine.exercise import Call, Mistake, Task
from grader.engine.judge import map_tensors
from grader.engine.outcome import Failure
from grader.i18n import N_

DTYPE_NOT_PRESERVED = Mistake(
    N_("dtype not preserved"), N_("create the result with dtype=X.dtype (torch.zeros(..., dtype=X.dtype, "
                                  "device=X.device)) or derive it from the input (X.new_zeros(...))"),
    lambda *a, **k: None)
DEVICE_NOT_PRESERVED = Mistake(
    N_("device not preserved"), N_("create the result on the input's device (device=X.device)"),
    lambda *a, **k: None)


def _as_float64(call: Call) -> Call:
    def convert(t: torch.Tensor) -> torch.Tensor:
        return t.detach().to("cpu", torch.float64 if t.is_floating_point() else t.dtype)

    return Call(map_tensors(tuple(call.args), convert), map_tensors(dict(call.kwargs), convert), call.label)


def recognise(task: Task, failure: Failure) -> Mistake | None:
    """The catalogued mistake that explains ``failure``, if one does."""
    if failure.kind == "dtype":
        return DTYPE_NOT_PRESERVED
    if failure.kind == "device":
        return DEVICE_NOT_PRESERVED
    if failure.call is None or failure.status != "failed" or failure.kind is None:
        return None
    call = _as_float64(failure.call)
    for mistake in task.mistakes:
        if isinstance(mistake.apply, type):
            continue  # a stand-in class: the task's own checks name it
        try:
            wrong = mistake.apply(*call.args, **dict(call.kwargs))
        except Exception:
            continue  # this mistake cannot even produce a result here
        if compare(wrong, failure.got, dtype=None, device=None, tolerance=task.tolerance) is None:
            return mistake
    return None


def name_mistake(task: Task, failure: Failure) -> Failure:
    """``failure`` with its mistake and hint filled in when one is recognised (English msgids:
    :func:`grader.outputs.feedback.render` translates them)."""
    if failure.mistake is None:
        mistake = recognise(task, failure)
        if mistake is not None:
            failure.mistake, failure.hint = mistake.name, mistake.hint
    return failure
