"""Values crossing between a judge and a student's worker process, safely.

The judge never unpickles what a worker sends. A message is one frame (:func:`dumps`): a JSON
tree of its structure, then the bytes of its tensors. Plain data crosses as itself (numbers,
strings, ``None``, lists, tuples, dicts with string keys, ``torch.Size``); a plain tensor as
its raw bytes with dtype, shape and strides, checked on reading; a tensor a raw frame cannot
carry (another dtype, a sparse layout) as ``torch.save`` bytes, read back with
``torch.load(weights_only=True)``, which builds nothing else. Anything that is not plain data
(a tensor subclass, a numpy array, an arbitrary object) is described, not sent: the judge sees a
:class:`Foreign` value whose description feedback can show, or, for sympy, an expression
rebuilt by a whitelist parser. Tensors travel as CPU data that the reader puts back on their
device (CUDA tensors never go through pickling or CUDA IPC).

The structure is encoded and read in one pass each way (a message crosses for every call of
student code): JSON's own lists carry lists, and a JSON object is always one tag of ours
(``{"~t": [...]}`` a tuple, ``{"~d": [[key, value], ...]}`` a dict, ``{"~x": ...}`` a raw
tensor...), so a student's dict can never pass for a tag.
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

MAX_DEPTH = 8
MAGIC = b"convgrade-frame-2\n"


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


RAW_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16, torch.bfloat16,
    torch.float32, torch.float64, torch.complex64, torch.complex128)}
"""The dtypes whose tensors travel as raw bytes (any other goes as ``torch.save`` bytes)."""

_SCALARS = (bool, int, float, str)


def dumps(value: Any) -> bytes:
    """``value`` as one frame: ``MAGIC``, the length of the JSON tree, the tree, the tensors'
    bytes. What is not plain data becomes a :class:`Foreign` description (see the module
    docstring), so any value can be sent."""
    buffers: list[bytes] = []
    size = 0

    def tensor_node(value: torch.Tensor) -> dict[str, list]:
        nonlocal size
        with torch._C.DisableTorchFunctionSubclass():
            data = torch.Tensor.detach(value).to("cpu").clone()
        device = str(value.device)
        if raw_tensor(data):
            raw = data.as_strided((data.numel(),), (1,)).view(torch.uint8).numpy().tobytes()
            node = {"~x": [str(data.dtype).removeprefix("torch."), list(data.shape), list(data.stride()), size,
                           len(raw), device]}
        else:
            buffer = io.BytesIO()
            torch.save(data, buffer)
            raw = buffer.getvalue()
            node = {"~z": [size, len(raw), device]}
        buffers.append(raw)
        size += len(raw)
        return node

    def tree(value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            return {"~f": [_("too deeply nested value"), ""]}
        kind = type(value)
        if value is None or kind in _SCALARS:
            return value
        if kind is tuple:
            return {"~t": [tree(v, depth + 1) for v in value]}
        if kind is list:
            return [tree(v, depth + 1) for v in value]
        if kind is torch.Tensor:
            return tensor_node(value)
        if isinstance(value, torch.Tensor):
            return {"~f": [_type_name(value), ""]}
        module = kind.__module__ or ""
        if module == "numpy" and isinstance(value, (numbers.Integral, numbers.Real)) and hasattr(value, "item"):
            return tree(value.item(), depth)  # a numpy scalar counts as the Python number it holds
        if kind is torch.Size:
            return {"~s": [int(v) for v in value]}
        if kind is dict and all(type(k) is str for k in value):
            return {"~d": [[k, tree(v, depth + 1)] for k, v in value.items()]}
        if module.startswith("sympy"):
            import sympy

            if isinstance(value, sympy.Basic):
                return {"~y": sympy.srepr(value)}
        return {"~f": [_type_name(value), ""]}

    header = json.dumps(tree(value, 0), separators=(",", ":")).encode()
    return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *buffers])


def raw_tensor(t: torch.Tensor) -> bool:
    """Whether ``t`` can travel as raw bytes: a dense CPU tensor of a :data:`RAW_DTYPES` dtype whose
    storage holds exactly its elements, from offset 0 (what ``clone`` makes of a dense tensor)."""
    return (t.layout == torch.strided and t.device.type == "cpu" and str(t.dtype).removeprefix("torch.") in RAW_DTYPES
            and not t.is_conj() and not t.is_neg() and t.storage_offset() == 0
            and t.untyped_storage().nbytes() == t.numel() * t.element_size() and not t.requires_grad
            and (t.numel() < 2 or t.is_contiguous() or dense(t)))


def dense(t: torch.Tensor) -> bool:
    """Whether ``t``'s elements fill a block of memory exactly, in some order of its dimensions."""
    expected = 1
    for size, stride in sorted(((n, s) for n, s in zip(t.shape, t.stride()) if n != 1), key=lambda p: p[1]):
        if stride != expected:
            return False
        expected *= size
    return True


def loads(payload: bytes) -> Any:
    """The value a frame holds (:func:`dumps`), checking everything it reads: a ``ValueError``
    when the frame is malformed (a worker may send any bytes)."""
    start = len(MAGIC) + 8
    if not payload.startswith(MAGIC) or len(payload) < start:
        raise ValueError("not a frame")
    length = int.from_bytes(payload[len(MAGIC):start], "little")
    if start + length > len(payload):
        raise ValueError("malformed frame")
    body = memoryview(payload)[start + length:]

    def tagged(node: dict[str, Any]) -> Any:
        if len(node) != 1:
            raise ValueError("malformed frame")
        (tag, item), = node.items()
        if tag == "~t" and type(item) is list:
            return tuple(item)
        if tag == "~d" and type(item) is list and all(type(p) is list and len(p) == 2 and type(p[0]) is str
                                                      for p in item):
            return dict(item)
        if tag == "~x" and type(item) is list and len(item) == 6:
            return on_device(raw_to_tensor(body, *item[:5]), item[5])
        if tag == "~z" and type(item) is list and len(item) == 3:
            return on_device(saved_tensor(body, *item[:2]), item[2])
        if tag == "~s" and type(item) is list and all(type(v) is int for v in item):
            return torch.Size(item)
        if tag == "~y" and type(item) is str:
            return parse_srepr(item)
        if tag == "~f" and type(item) is list and len(item) == 2 and all(type(v) is str for v in item):
            return Foreign(item[0], item[1][:200])
        raise ValueError("malformed frame")

    value = json.loads(bytes(payload[len(MAGIC) + 8:start + length]), object_hook=tagged)
    if type(value) in _CONTAINERS:
        check_depth(value, 0)
    return value


_CONTAINERS = (list, tuple, dict)


def check_depth(value: Any, depth: int) -> None:
    """Refuse containers nested deeper than any :func:`dumps` makes (``ValueError``)."""
    if depth > MAX_DEPTH + 2:
        raise ValueError("malformed frame")
    for v in value.values() if type(value) is dict else value:
        if type(v) in _CONTAINERS:
            check_depth(v, depth + 1)


def _span(body: memoryview, offset: Any, nbytes: Any) -> memoryview:
    if type(offset) is not int or type(nbytes) is not int or not 0 <= offset <= offset + nbytes <= len(body):
        raise ValueError("malformed tensor in a frame")
    return body[offset:offset + nbytes]


def raw_to_tensor(body: memoryview, dtype: Any, shape: Any, strides: Any, offset: Any, nbytes: Any) -> torch.Tensor:
    """One raw tensor of a frame, from ``nbytes`` bytes at ``offset`` of ``body``."""
    counts = (shape, strides)
    if (type(dtype) is not str or dtype not in RAW_DTYPES
            or not all(type(c) is list and all(type(v) is int and v >= 0 for v in c) for c in counts)
            or len(shape) != len(strides)):
        raise ValueError("malformed tensor in a frame")
    data = _span(body, offset, nbytes)
    kind = RAW_DTYPES[dtype]
    numel = math.prod(shape)
    if nbytes != numel * kind.itemsize:
        raise ValueError("malformed tensor in a frame")
    if numel == 0:
        return torch.empty(shape, dtype=kind)
    flat = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(kind)
    if 1 + sum((n - 1) * s for n, s in zip(shape, strides)) > numel:
        raise ValueError("malformed tensor in a frame")
    return flat.as_strided(shape, strides)


def saved_tensor(body: memoryview, offset: Any, nbytes: Any) -> Any:
    """One ``torch.save`` tensor of a frame, read with ``weights_only`` (nothing but tensors and
    plain data can come out of it; anything but a plain tensor is described, not kept)."""
    try:
        value = torch.load(io.BytesIO(bytes(_span(body, offset, nbytes))), weights_only=True, map_location="cpu")
    except Exception as exc:  # refused by weights_only, or not torch.save bytes at all
        raise ValueError(f"malformed tensor in a frame ({type(exc).__name__})") from None
    return value if type(value) is torch.Tensor else Foreign(_("a malformed tensor"))


def on_device(tensor: Any, device: Any) -> Any:
    """A tensor read from a frame, back on the device it was sent from (where this process has
    it; else described)."""
    if type(device) is not str:
        raise ValueError("malformed tensor in a frame")
    if not device.startswith("cuda") or type(tensor) is not torch.Tensor:
        return tensor
    if torch.cuda.is_available():
        return tensor.to(device)
    return Foreign(_("a tensor on {device}").format(device=device))


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
