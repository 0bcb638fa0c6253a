"""The only place that turns verdicts into words: what failed, on which (small) input, what was
expected and what came back, with wrong entries marked."""

from __future__ import annotations

import unicodedata
from typing import Any

import torch

from grader.engine.compare import close_mask, describe_type
from grader.engine.digits import number
from grader.engine.exercise import Call, Check, Task
from grader.engine.outcome import CheckResult, Failure
from grader.i18n import _

MAX_PRINTED = 64  # tensors with more entries are summarised, not printed
INDENT = "    "


def summary(t: torch.Tensor) -> str:
    """``Tensor[shape=(2, 3, 5, 5), float32]`` (device added when not the CPU)."""
    dev = "" if t.device.type == "cpu" else f", {t.device}"
    return f"Tensor[shape={tuple(t.shape)}, {str(t.dtype).removeprefix('torch.')}{dev}]"


def matrix_lines(t: torch.Tensor, marks: torch.Tensor | None = None, mark: str = "*") -> list[str]:
    """A small tensor printed as aligned rows; entries where ``marks`` is True get ``mark``.
    Tensors of more than two dimensions print one (H, W) slice per leading index."""
    t = t.detach().to("cpu", torch.float64)
    if t.dim() == 0:
        return [number(float(t))]
    if t.dim() == 1:
        t = t.unsqueeze(0)
        marks = None if marks is None else marks.unsqueeze(0)
    if t.dim() > 2:
        lines: list[str] = []
        for idx in torch.cartesian_prod(*[torch.arange(s) for s in t.shape[:-2]]).reshape(-1, t.dim() - 2):
            index = tuple(int(i) for i in idx)
            lines.append(f"[{', '.join(map(str, index))}, :, :] =")
            sub_marks = None if marks is None else marks[index]
            lines += [INDENT + line for line in matrix_lines(t[index], sub_marks, mark)]
        return lines
    cells = [[number(float(v)) for v in row] for row in t]
    width = max((len(c) for row in cells for c in row), default=1)
    out = []
    for r, row in enumerate(cells):
        parts = []
        for c, cell in enumerate(row):
            star = mark if marks is not None and bool(marks[r, c]) else " "
            parts.append(cell.rjust(width) + star)
        out.append("[" + " ".join(parts).rstrip() + " ]")
    return out


def value_lines(value: Any, marks: torch.Tensor | None = None, mark: str = "*") -> list[str]:
    """A value as printed in feedback: small tensors in full, big ones summarised."""
    if isinstance(value, torch.Tensor):
        head = summary(value) if type(value) is torch.Tensor else describe_type(value)
        if value.numel() <= MAX_PRINTED and value.numel() > 0:
            return [head] + [INDENT + line for line in matrix_lines(value, marks, mark)]
        return [head]
    if isinstance(value, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in value):
        lines = [_("{type} of {n}:").format(type=type(value).__name__, n=len(value))]
        for i, v in enumerate(value):
            sub = value_lines(v)
            lines += [f"{INDENT}[{i}] {sub[0]}"] + [INDENT + line for line in sub[1:]]
        return lines
    text = repr(value)
    return [text if len(text) <= 200 else text[:200] + "..."]


WINDOW_MARK = "#"


def call_lines(call: Call, window: Any = None) -> list[str]:
    """The arguments of a call, one block per argument; with a :class:`grader.engine.window.Window`,
    its entries marked ``#`` in the first argument (the input)."""
    lines = []
    for i, arg in enumerate(call.args):
        marks = window.marks(arg.shape) if window is not None and i == 0 and isinstance(arg, torch.Tensor) else None
        sub = value_lines(arg, marks, WINDOW_MARK)
        lines += [_("arg {n} = {value}").format(n=i + 1, value=sub[0])] + [INDENT + line for line in sub[1:]]
    for key, arg in call.kwargs.items():
        sub = value_lines(arg)
        lines += [f"{key} = {sub[0]}"] + [INDENT + line for line in sub[1:]]
    return lines


def wrong_entries(expected: Any, got: Any) -> torch.Tensor | None:
    """Marks for the entries of ``got`` that differ from ``expected`` (same shape tensors only)."""
    if (isinstance(expected, torch.Tensor) and type(got) is torch.Tensor and expected.shape == got.shape
            and expected.numel() <= MAX_PRINTED and not got.is_complex()):
        bad, _ = close_mask(expected.double().cpu(), got.detach().double().cpu(), 1e-4, 1e-4)
        return bad
    return None


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def labels(*words: str) -> list[str]:
    """``words`` padded to one width, then a space: ``["expected: ", "got:      "]``."""
    wide = max(width(w) for w in words)
    return [w + " " * (wide - width(w) + 1) for w in words]


def worst_entry(expected: Any, got: Any) -> tuple[int, ...] | None:
    """The index of the wrong entry farthest from the expected value (same-shape real tensors)."""
    if not (isinstance(expected, torch.Tensor) and type(got) is torch.Tensor and expected.shape == got.shape
            and expected.numel() > 0 and not got.is_complex()):
        return None
    e, g = expected.detach().double().cpu(), got.detach().double().cpu()
    bad, _ = close_mask(e, g, 1e-4, 1e-4)
    if not bool(bad.any()):
        return None
    error = torch.where(bad, (g - e).abs().nan_to_num(float("inf")), torch.tensor(-1.0, dtype=torch.float64))
    return tuple(int(i) for i in torch.unravel_index(error.argmax(), e.shape))


def result_window(failure: Failure, task: Task) -> Any:
    """The :class:`grader.engine.window.Window` behind the worst wrong entry of a failure's result, when
    the task is convolution-like and the values (not the shape) were wrong; else None."""
    if task.window is None or failure.call is None or failure.kind not in ("values", "nan"):
        return None
    entry = worst_entry(failure.expected, failure.got)
    if entry is None:
        return None
    try:
        return task.window(failure.call, entry)
    except Exception:  # arguments the window cannot read (torch would have refused them too)
        return None


def window_lines(window: Any, expected: torch.Tensor, got: torch.Tensor) -> list[str]:
    """``expected Y[1, 2] = (X[1:3, 2:4] * K).sum() = 17, got 13`` and what ``#`` and ``Xp`` mean."""
    entry = "Y[" + ", ".join(map(str, window.entry)) + "]"
    lines = [_("expected {entry} = {expression} = {value}, got {got}").format(
        entry=entry, expression=window.expression, value=number(float(expected[window.entry])),
        got=number(float(got[window.entry])))]
    if any(window.padded):
        top, left = window.padded
        lines.append(_("(Xp is the input padded: X[r, c] is Xp[r + {top}, c + {left}])").format(top=top, left=left))
    lines.append(_("({mark} = the input entries {entry} reads)").format(mark=WINDOW_MARK, entry=entry))
    return lines


def render(failure: Failure, task: Task, check: Check) -> str:
    """The whole message a student reads for one failed check.

    Record texts (the mistake's name, hints, the input's label) are English msgids, translated
    here; the headline and details were translated where they were built."""
    lines = [failure.headline]
    if failure.mistake:
        lines.append(_("recognised mistake: {mistake}").format(mistake=_(failure.mistake)))
    lines += failure.details
    window = result_window(failure, task)
    if failure.call is not None:
        if failure.status in ("timeout", "crashed"):  # the call never returned: nothing was shrunk
            lines.append(_("the input it was given ({label}):").format(label=_(failure.call.label))
                         if failure.call.label else _("the input it was given:"))
        elif failure.call.label:
            lines.append(_("smallest failing input ({label}):").format(label=_(failure.call.label)))
        else:
            lines.append(_("smallest failing input:"))
        lines += [INDENT + line for line in call_lines(failure.call, window)]
    expected_label, got_label = labels(_("expected:"), _("got:"))
    if failure.expected is not None:
        marks = wrong_entries(failure.expected, failure.got)
        exp, got = value_lines(failure.expected), value_lines(failure.got, marks)
        lines.append(expected_label + exp[0])
        lines += [INDENT + line for line in exp[1:]]
        wrong = "   " + _("(* = wrong entry)") if marks is not None and bool(marks.any()) else ""
        lines.append(got_label + got[0] + wrong)
        lines += [INDENT + line for line in got[1:]]
        if window is not None:
            lines += window_lines(window, failure.expected, failure.got)
    elif failure.got is not None:
        got = value_lines(failure.got)
        lines.append(got_label + got[0])
        lines += [INDENT + line for line in got[1:]]
    hint = failure.hint or (task.hint if failure.status in ("failed", "error") and failure.call else None)
    if hint:
        lines.append(_("hint: {hint}").format(hint=_(hint)))
    return "\n".join(lines)


def _values(value: Any) -> Any:
    """A value as bug_key compares it: tensors as (shape, float64 entries), whatever their dtype,
    device or memory layout."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        return tuple(t.shape), (t.double() if not t.is_complex() else t).flatten().tolist()
    if isinstance(value, (tuple, list)):
        return [_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _values(v) for k, v in value.items()}
    return repr(value)


def bug_key(failure: Failure | None) -> str | None:
    """What makes two failed checks of one task one bug: the same status, headline and mistake
    on the same counterexample with the same result (as values: a float64 check and a float32
    one that fail on the same numbers are one bug). None when the failure has no counterexample."""
    if failure is None or failure.call is None:
        return None
    call = failure.call
    return repr((failure.status, failure.headline, failure.mistake, _values(list(call.args)),
                 _values(dict(call.kwargs)), _values(failure.got)))


def same_failures(failures: list[tuple[str, str, Failure | None]]) -> dict[int, int]:
    """``failures``: (task, check, failure or None when it passed) in grading order. Returns, for
    each failure that repeats an earlier one of its task (:func:`bug_key`), its index -> the
    index of the first. The rule every front-end folds repeated feedback by."""
    first: dict[tuple[str, str], int] = {}
    repeats = {}
    for i, (task, _check, failure) in enumerate(failures):
        key = bug_key(failure)
        if key is None:
            continue
        if (task, key) in first:
            repeats[i] = first[(task, key)]
        else:
            first[(task, key)] = i
    return repeats


def earlier_same_failure(earlier: list[CheckResult], result: CheckResult) -> str | None:
    """The check, among ``earlier`` results of the same task, whose feedback ``result`` repeats
    (one bug, :func:`same_failures`); None when it is new."""
    mine = [r for r in earlier if (r.exercise, r.task) == (result.exercise, result.task)] + [result]
    first = same_failures([(r.task, r.check, r.failure) for r in mine]).get(len(mine) - 1)
    return None if first is None else mine[first].check


def also_failed_line(checks: list[str]) -> str:
    """Under the one full block of a bug: the other checks it failed."""
    return _("also failed on the same input: {checks}").format(checks=", ".join(checks))


def repeat_line(headline: str, first: str) -> str:
    """In place of a repeated block: one line naming the check that shows it in full."""
    return _("{headline} (the same failure on the same input as {check}: see its feedback)").format(
        headline=headline, check=first)
