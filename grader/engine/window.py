"""Which input window and kernel entries produce one entry of a convolution-like result: the
picture the course notes draw, made from the student's own counterexample.

A task with a ``window`` (:class:`grader.engine.exercise.Task`) maps its call and an index of its
result to a :class:`Window`; feedback prints ``expected Y[1, 2] = (X[1:3, 2:4] * K).sum() = 17``
and marks the window's entries in the printed input, and the HTML page outlines it on the input.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch

from grader.engine.strategies import as_pair


@dataclass(frozen=True)
class Window:
    """The input entries and kernel entries one result entry is computed from."""

    entry: tuple[int, ...]  # index of the entry in the result
    expression: str  # how it is computed, in the notes' notation: "(X[1:3, 2:4] * K).sum()"
    lead: tuple[Any, ...]  # index of the input's leading axes the window reads (ints or slices)
    rows: range  # input rows it reads (outside 0..H-1: padding)
    cols: range  # input columns it reads
    padded: tuple[int, int] = (0, 0)  # (top, left) padding: the expression indexes the padded input Xp

    def marks(self, shape: torch.Size) -> torch.Tensor:
        """True on the input's entries inside the window (padding left out)."""
        marks = torch.zeros(shape, dtype=torch.bool)
        rows = [r for r in self.rows if 0 <= r < shape[-2]]
        cols = [c for c in self.cols if 0 <= c < shape[-1]]
        if rows and cols:
            marks[(*self.lead, *torch.meshgrid(torch.tensor(rows), torch.tensor(cols), indexing="ij"))] = True
        return marks

    def plane(self) -> tuple[int, ...]:
        """The leading index of one (H, W) plane of the input the window reads (its first)."""
        return tuple(i.start or 0 if isinstance(i, slice) else i for i in self.lead)


def span(i: int, stride: int, dilation: int, kernel: int, before: int) -> range:
    """The input coordinates output position ``i`` reads along one axis."""
    start = i * stride - before
    return range(start, start + dilation * (kernel - 1) + 1, dilation)


def slice_text(r: range, shift: int = 0) -> str:
    """``range(1, 3)`` -> ``"1:3"``; a step shows (``"0:5:2"``)."""
    text = f"{r.start + shift}:{r.stop + shift}"
    return text + (f":{r.step}" if r.step > 1 else "")


def spatial_window(entry: tuple[int, ...], kernel_hw: tuple[int, int], *, stride: Any = 1, dilation: Any = 1,
                   before: tuple[int, int] = (0, 0), lead: tuple[Any, ...] = (), source: str = "X",
                   reduce: str = "({window} * K).sum()") -> Window:
    """The window of result entry ``entry`` (its last two indices are the output row and column)
    for a kernel of ``kernel_hw`` sliding with ``stride`` and ``dilation`` over an input padded by
    ``before`` = (top, left). ``reduce`` turns the window's text into the entry's formula."""
    (sh, sw), (dh, dw), (kh, kw) = as_pair(stride), as_pair(dilation), kernel_hw
    rows, cols = span(entry[-2], sh, dh, kh, before[0]), span(entry[-1], sw, dw, kw, before[1])
    name = source + "p" if any(before) else source
    lead_text = [":" if isinstance(i, slice) and i == slice(None) else
                 (f"{i.start}:{i.stop}" if isinstance(i, slice) else str(i)) for i in lead]
    window = f"{name}[{', '.join([*lead_text, slice_text(rows, before[0]), slice_text(cols, before[1])])}]"
    return Window(tuple(entry), reduce.format(window=window), tuple(lead), rows, cols, tuple(before))


def arguments(call: Any, reference: Any) -> dict[str, Any]:
    """A call's arguments by name, as the reference's signature binds them (defaults filled in)."""
    bound = inspect.signature(reference).bind(*call.args, **call.kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)
