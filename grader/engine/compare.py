"""Comparing a student's result with the reference's, structure first.

The order is fixed: the type, then the exact shape (never broadcast), then dtype and device,
then values. The first difference found is returned as a :class:`Mismatch`; None means equal
within tolerance.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import torch

from grader.engine.digits import number
from grader.engine.exercise import Tolerance
from grader.i18n import _, ngettext
from grader.run.codec import Foreign


@dataclass
class Mismatch:
    """The first way a result differs from the expected one."""

    kind: str  # "type", "length", "shape", "dtype", "device", "nan", "values", "number"
    headline: str
    where: str = "result"  # "result", "result[1]"...
    details: list[str] = field(default_factory=list)
    index: tuple[int, ...] | None = None  # the worst entry, for values
    expected: Any = None  # the part that differs
    got: Any = None


def shown(where: str) -> str:
    """``where`` as a reader sees it: ``result[1]`` with the word "result" translated, the index kept."""
    return _("result") + where[len("result"):] if where.startswith("result") else where


def describe_type(value: Any) -> str:
    """``torch.Tensor``, ``numpy.ndarray``, ``MyTensor (a torch.Tensor subclass)``, ``list``..."""
    if isinstance(value, Foreign):
        return value.description
    kind = type(value)
    if isinstance(value, torch.Tensor) and kind is not torch.Tensor:
        return _("{type} (a torch.Tensor subclass)").format(type=kind.__qualname__)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module.split('.')[0]}.{kind.__qualname__}"


def close_mask(expected: torch.Tensor, got: torch.Tensor, rtol: float, atol: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(bad, excess): which entries are out of tolerance, and by how much (for the worst one).

    Both tensors are float64 on the CPU. NaN in one and not the other is bad; NaN in both is not.
    """
    scale = max(1.0, float(expected.abs().nan_to_num(0.0, 0.0, 0.0).max()) if expected.numel() else 1.0)
    allowed = atol * scale + rtol * expected.abs()
    diff = (got - expected).abs()
    both_nan = expected.isnan() & got.isnan()
    same_inf = torch.isinf(expected) & (expected == got)
    bad = ~((diff <= allowed) | both_nan | same_inf)
    excess = torch.where(bad, (diff - allowed).nan_to_num(math.inf, math.inf), torch.zeros_like(diff))
    return bad, excess


def compare(expected: Any, got: Any, *, dtype: torch.dtype | None, device: torch.device | None,
            tolerance: Tolerance, where: str = "result") -> Mismatch | None:
    """The first difference between ``got`` and ``expected`` (the float64 CPU reference).

    Floating tensors must come back as a plain ``torch.Tensor`` of ``dtype`` on ``device``
    (None: any dtype, any device; only values and shapes count).
    """
    if isinstance(expected, torch.Tensor):
        return _compare_tensor(expected, got, dtype=dtype, device=device, tolerance=tolerance, where=where)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return Mismatch("type", _("{where} should be a tuple of {n}, got {type}")
                            .format(where=shown(where), n=len(expected), type=describe_type(got)),
                            where, expected=expected, got=got)
        if len(got) != len(expected):
            return Mismatch("length", ngettext("{where} should have {n} item, got {got}",
                                               "{where} should have {n} items, got {got}", len(expected))
                            .format(where=shown(where), n=len(expected), got=len(got)),
                            where, expected=expected, got=got)
        for i, (e, g) in enumerate(zip(expected, got)):
            found = compare(e, g, dtype=dtype, device=device, tolerance=tolerance, where=f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, bool) or expected is None:
        if got is not expected:
            return Mismatch("number", _("{where} should be {expected}, got {got}")
                            .format(where=shown(where), expected=repr(expected), got=repr(got)),
                            where, expected=expected, got=got)
        return None
    if isinstance(expected, numbers.Integral):
        return _compare_int(int(expected), got, where)
    if isinstance(expected, numbers.Real):
        return _compare_float(float(expected), got, tolerance, where)
    raise TypeError(f"cannot compare a reference of type {type(expected).__name__}")


def _compare_int(expected: int, got: Any, where: str) -> Mismatch | None:
    if isinstance(got, bool) or not isinstance(got, numbers.Number):
        return Mismatch("type", _("{where} should be an int, got {type} {got}")
                        .format(where=shown(where), type=describe_type(got), got=repr(got)), where,
                        expected=expected, got=got)
    if not isinstance(got, numbers.Integral):
        detail = [_("sizes are whole numbers: use // (floor division), not /")] if isinstance(got, float) else []
        if isinstance(got, float) and got == expected:
            return Mismatch("type", _("{where} is {got}, a float; expected the int {expected}")
                            .format(where=shown(where), got=repr(got), expected=expected), where, detail,
                            expected=expected, got=got)
        return Mismatch("number", _("{where} should be {expected}, got {got}")
                        .format(where=shown(where), expected=expected, got=repr(got)), where, detail,
                        expected=expected, got=got)
    if int(got) != expected:
        return Mismatch("number", _("{where} should be {expected}, got {got}")
                        .format(where=shown(where), expected=expected, got=int(got)), where,
                        expected=expected, got=got)
    return None


def _compare_float(expected: float, got: Any, tolerance: Tolerance, where: str) -> Mismatch | None:
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        return Mismatch("type", _("{where} should be a number, got {type}")
                        .format(where=shown(where), type=describe_type(got)), where, expected=expected, got=got)
    rtol, atol = tolerance.float64
    if not math.isclose(float(got), expected, rel_tol=max(rtol, 1e-9), abs_tol=max(atol, 1e-9)):
        return Mismatch("number", _("{where} should be {expected}, got {got}")
                        .format(where=shown(where), expected=repr(expected), got=repr(got)),
                        where, expected=expected, got=got)
    return None


def _compare_tensor(expected: torch.Tensor, got: Any, *, dtype: torch.dtype | None, device: torch.device | None,
                    tolerance: Tolerance, where: str) -> Mismatch | None:
    if type(got) is not torch.Tensor:
        return Mismatch("type", _("{where} should be a torch.Tensor, got {type}")
                        .format(where=shown(where), type=describe_type(got)), where, expected=expected, got=got)
    if tuple(got.shape) != tuple(expected.shape):
        return Mismatch("shape", _("{where} has shape {got}, expected {expected}")
                        .format(where=shown(where), got=tuple(got.shape), expected=tuple(expected.shape)),
                        where, expected=expected, got=got)
    if dtype is not None and expected.is_floating_point() and got.dtype != dtype:
        return Mismatch("dtype", _("{where} has dtype {got}, expected {expected} (the input's dtype)")
                        .format(where=shown(where), got=got.dtype, expected=dtype), where,
                        expected=expected, got=got)
    if device is not None and got.device.type != device.type:
        return Mismatch("device", _("{where} is on {got}, expected {expected} (the input's device)")
                        .format(where=shown(where), got=got.device, expected=device), where,
                        expected=expected, got=got)
    if got.is_complex() or got.dtype == torch.bool:
        return Mismatch("dtype", _("{where} has dtype {got}, expected {expected}")
                        .format(where=shown(where), got=got.dtype, expected=dtype), where, expected=expected, got=got)
    got64 = got.detach().to("cpu", torch.float64)
    exp64 = expected.detach().to("cpu", torch.float64)
    rtol, atol = tolerance.for_dtype((dtype or got.dtype) if expected.is_floating_point() else torch.float64)
    bad, excess = close_mask(exp64, got64, rtol, atol)
    if not bad.any():
        return None
    flat = int(excess.flatten().argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), exp64.shape)) if exp64.dim() else ()
    e, g = float(exp64[index]), float(got64[index])
    kind = "nan" if math.isnan(g) and not math.isnan(e) else "values"
    if kind == "nan":
        headline = _("{where} has NaN at {index} where {expected} was expected").format(
            where=shown(where), index=list(index), expected=number(e))
    else:
        headline = ngettext("{where} differs at {bad} of {total} entry; worst at {index}: expected {expected}, "
                            "got {got}",
                            "{where} differs at {bad} of {total} entries; worst at {index}: expected {expected}, "
                            "got {got}", bad.numel()).format(
            where=shown(where), bad=int(bad.sum()), total=bad.numel(), index=list(index), expected=number(e),
            got=number(g))
    return Mismatch(kind, headline, where, index=index, expected=expected, got=got)
