"""Values crossing from a student's worker process to the judge, safely.

The judge never unpickles what a worker sends: the worker encodes its results as plain data
(tensors, numbers, strings, tuples, lists, dicts with string keys) with ``torch.save``, and the
judge reads them with ``torch.load(weights_only=True)``, which builds nothing else. Anything
that is not plain data (a tensor subclass, a numpy array, a sympy expression, an arbitrary
object) is described, not sent: the judge sees a :class:`Foreign` value whose description
feedback can show, or, for sympy, an expression rebuilt by a whitelist parser.

Most messages hold only plain tensors of common dtypes besides numbers and strings; those
travel in a cheaper frame (:func:`frame`): a JSON tree of the structure, then each tensor's
raw bytes, read back with its dtype, shape and strides checked (nothing is unpickled either).
Any other message goes through ``torch.save``.
"""

from __future__ import annotations

import ast
import io
import json
import math
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
    """``value`` encoded (:func:`encode`) and serialised: as a raw frame (:func:`frame`) when it
    can be, else with ``torch.save``."""
    plain = encode(value)
    raw = frame(plain)
    if raw is not None:
        return raw
    buffer = io.BytesIO()
    torch.save(plain, buffer)
    return buffer.getvalue()


def loads(payload: bytes) -> Any:
    """Plain data back (either side), with tags turned into tensors, sympy or :class:`Foreign`."""
    if payload.startswith(MAGIC):
        return decode(unframe(payload))
    return decode(torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu"))


MAGIC = b"convgrade-raw-1\n"
RAW_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16, torch.bfloat16,
    torch.float32, torch.float64, torch.complex64, torch.complex128)}
"""The dtypes a raw frame carries (any other tensor goes through ``torch.save``)."""


def frame(plain: Any) -> bytes | None:
    """A raw frame of ``plain`` (what :func:`encode` returns): ``MAGIC``, the length of a JSON
    tree, the tree, the tensors' bytes. In the tree each node is ``[kind, payload]``: ``"v"`` a
    JSON scalar, ``"t"`` a tuple, ``"l"`` a list, ``"d"`` a dict with string keys, ``"x"`` a
    tensor ``[dtype, shape, strides, offset, bytes]``. None when a tensor cannot go raw (a dtype
    outside :data:`RAW_DTYPES`, storage that is not exactly its elements)."""
    buffers: list[bytes] = []
    size = 0

    def tree(value: Any) -> list:
        nonlocal size
        if value is None or type(value) in (bool, int, float, str):
            return ["v", value]
        if type(value) is tuple or type(value) is list:
            return ["t" if type(value) is tuple else "l", [tree(v) for v in value]]
        if type(value) is dict:
            return ["d", {k: tree(v) for k, v in value.items()}]
        if type(value) is torch.Tensor and raw_tensor(value):
            data = value.as_strided((value.numel(),), (1,)).view(torch.uint8).numpy().tobytes()
            node = ["x", [str(value.dtype).removeprefix("torch."), list(value.shape), list(value.stride()), size,
                          len(data)]]
            buffers.append(data)
            size += len(data)
            return node
        raise _NotRaw

    try:
        header = json.dumps(tree(plain), separators=(",", ":")).encode()
    except _NotRaw:
        return None
    return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *buffers])


class _NotRaw(Exception):
    pass


def raw_tensor(t: torch.Tensor) -> bool:
    """Whether a raw frame can carry ``t``: a dense CPU tensor of a :data:`RAW_DTYPES` dtype whose
    storage holds exactly its elements, from offset 0 (what ``clone`` makes of a dense tensor)."""
    return (t.layout == torch.strided and t.device.type == "cpu" and str(t.dtype).removeprefix("torch.") in RAW_DTYPES
            and not t.is_conj() and not t.is_neg() and t.storage_offset() == 0
            and t.untyped_storage().nbytes() == t.numel() * t.element_size() and not t.requires_grad
            and (t.numel() < 2 or dense(t)))


def dense(t: torch.Tensor) -> bool:
    """Whether ``t``'s elements fill a block of memory exactly, in some order of its dimensions."""
    expected = 1
    for size, stride in sorted(((n, s) for n, s in zip(t.shape, t.stride()) if n != 1), key=lambda p: p[1]):
        if stride != expected:
            return False
        expected *= size
    return True


def unframe(payload: bytes) -> Any:
    """The inverse of :func:`frame`, checking everything it reads (a ``ValueError`` when the
    frame is malformed)."""
    start = len(MAGIC) + 8
    length = int.from_bytes(payload[len(MAGIC):start], "little")
    body = memoryview(payload)[start + length:]

    def build(node: Any, depth: int) -> Any:
        if depth > MAX_DEPTH + 4 or type(node) is not list or len(node) != 2 or type(node[0]) is not str:
            raise ValueError("malformed frame")
        kind, item = node
        if kind == "v" and (item is None or type(item) in (bool, int, float, str)):
            return item
        if kind in ("t", "l") and type(item) is list:
            items = [build(v, depth + 1) for v in item]
            return tuple(items) if kind == "t" else items
        if kind == "d" and type(item) is dict:
            return {k: build(v, depth + 1) for k, v in item.items()}
        if kind == "x" and type(item) is list and len(item) == 5:
            return raw_to_tensor(body, *item)
        raise ValueError("malformed frame")

    return build(json.loads(bytes(payload[len(MAGIC) + 8:start + length])), 0)


def raw_to_tensor(body: memoryview, dtype: Any, shape: Any, strides: Any, offset: Any, nbytes: Any) -> torch.Tensor:
    """One tensor of a raw frame, from ``nbytes`` bytes at ``offset`` of ``body``."""
    counts = (shape, strides)
    if (dtype not in RAW_DTYPES or not all(type(c) is list and all(type(v) is int and v >= 0 for v in c) for c in counts)
            or len(shape) != len(strides) or type(offset) is not int or type(nbytes) is not int
            or not 0 <= offset <= offset + nbytes <= len(body)):
        raise ValueError("malformed tensor in a frame")
    kind = RAW_DTYPES[dtype]
    numel = math.prod(shape)
    if nbytes != numel * kind.itemsize:
        raise ValueError("malformed tensor in a frame")
    if numel == 0:
        return torch.empty(shape, dtype=kind)
    flat = torch.frombuffer(bytearray(body[offset:offset + nbytes]), dtype=torch.uint8).view(kind)
    if 1 + sum((n - 1) * s for n, s in zip(shape, strides)) > numel:
        raise ValueError("malformed tensor in a frame")
    return flat.as_strided(shape, strides)


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
