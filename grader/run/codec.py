"""Values crossing from a student's worker process to the judge, safely.

The judge never unpickles what a worker sends: the worker encodes its results as plain data
(tensors, numbers, strings, tuples, lists, dicts with string keys) with ``torch.save``, and the
judge reads them with ``torch.load(weights_only=True)``, which builds nothing else. Anything
that is not plain data (a tensor subclass, a numpy array, a sympy expression, an arbitrary
object) is described, not sent: the judge sees a :class:`Foreign` value whose description
feedback can show, or, for sympy, an expression rebuilt by a whitelist parser.
"""

from __future__ import annotations

import ast
import io
import numbers
from typing import Any

import torch

from grader.i18n import _

TAG = "__convgrade__"
MAX_DEPTH = 8


class Foreign:
    """A value the worker returned that is not plain data; only its description crosses."""

    def __init__(self, description: str, text: str = ""):
        self.description = description
        self.text = text

    def __repr__(self) -> str:
        return self.text or f"<{self.description}>"


def _type_name(value: Any) -> str:
    kind = type(value)
    if isinstance(value, torch.Tensor):
        return _("{type} (a torch.Tensor subclass)").format(type=kind.__qualname__)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module.split('.')[0]}.{kind.__qualname__}"


def encode(value: Any, depth: int = 0) -> Any:
    """Worker side: ``value`` as plain data (see the module docstring)."""
    if depth > MAX_DEPTH:
        return {TAG: "foreign", "type": _("too deeply nested value"), "text": ""}
    if type(value) is torch.Tensor:
        with torch._C.DisableTorchFunctionSubclass():
            data = torch.Tensor.detach(value).to("cpu").clone()
        return {TAG: "tensor", "data": data, "device": str(value.device)}
    if isinstance(value, torch.Tensor):
        return {TAG: "foreign", "type": _type_name(value), "text": ""}
    if value is None or type(value) in (bool, int, float, str):
        return value
    module = type(value).__module__ or ""
    if module == "numpy" and isinstance(value, (numbers.Integral, numbers.Real)) and hasattr(value, "item"):
        return value.item()  # a numpy scalar counts as the Python number it holds
    if type(value) is torch.Size:
        return {TAG: "size", "items": [int(v) for v in value]}
    if type(value) in (tuple, list):
        items = [encode(v, depth + 1) for v in value]
        return tuple(items) if type(value) is tuple else items
    if type(value) is dict and all(type(k) is str for k in value):
        return {k: encode(v, depth + 1) for k, v in value.items()}
    if module.startswith("sympy"):
        import sympy

        if isinstance(value, sympy.Basic):
            return {TAG: "sympy", "srepr": sympy.srepr(value)}
    return {TAG: "foreign", "type": _type_name(value), "text": ""}


def dumps(value: Any) -> bytes:
    """``value`` encoded (:func:`encode`) and serialised with ``torch.save``."""
    buffer = io.BytesIO()
    torch.save(encode(value), buffer)
    return buffer.getvalue()


def loads(payload: bytes) -> Any:
    """Judge side: plain data back, with tags turned into tensors, sympy or :class:`Foreign`."""
    return decode(torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu"))


def decode(value: Any) -> Any:
    """The inverse of :func:`encode` on data read with ``weights_only=True``."""
    if isinstance(value, dict):
        tag = value.get(TAG)
        if tag == "tensor":
            data, device = value["data"], str(value["device"])
            if type(data) is not torch.Tensor:
                return Foreign(_("a malformed tensor"))
            if device.startswith("cuda") and torch.cuda.is_available():
                return data.to(device)
            if device.startswith("cuda"):
                return Foreign(_("a tensor on {device}").format(device=device))
            return data
        if tag == "sympy":
            return parse_srepr(str(value["srepr"]))
        if tag == "size":
            items = value.get("items")
            if isinstance(items, list) and all(type(v) is int for v in items):
                return torch.Size(items)
            return Foreign(_("a malformed torch.Size"))
        if tag == "foreign":
            return Foreign(str(value.get("type", _("an unknown object"))), str(value.get("text", ""))[:200])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(decode(v) for v in value)
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


_SYMPY_NAMES = (
    "Symbol", "Dummy", "Integer", "Rational", "Float", "Add", "Mul", "Pow", "floor", "ceiling", "Mod",
    "Max", "Min", "Abs", "Half", "One", "Zero", "NegativeOne", "Piecewise", "ExprCondPair", "true", "false",
    "StrictLessThan", "LessThan", "StrictGreaterThan", "GreaterThan", "Equality", "Unequality", "And", "Or",
    "Not", "Tuple", "sign", "Infinity", "NegativeInfinity", "ComplexInfinity", "nan", "NaN", "oo", "zoo",
)


def parse_srepr(text: str) -> Any:
    """Rebuild a sympy expression from ``sympy.srepr`` output without ``eval``: only calls of
    whitelisted sympy names with literal arguments are allowed."""
    import sympy

    allowed = {name: getattr(sympy, name) for name in _SYMPY_NAMES if hasattr(sympy, name)}

    def build(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -build(node.operand)
        if isinstance(node, ast.Tuple):
            return tuple(build(e) for e in node.elts)
        if isinstance(node, ast.Name) and node.id in allowed:
            return allowed[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in allowed:
            args = [build(a) for a in node.args]
            kwargs = {k.arg: build(k.value) for k in node.keywords if k.arg}
            return allowed[node.func.id](*args, **kwargs)
        raise ValueError(f"unexpected {type(node).__name__} in a sympy expression")

    if len(text) > 100_000:
        return Foreign(_("an oversized sympy expression"))
    try:
        return build(ast.parse(text, mode="eval").body)
    except (ValueError, SyntaxError, TypeError, RecursionError) as exc:
        return Foreign(_("an unreadable sympy expression"), str(exc)[:100])
