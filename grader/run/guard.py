"""Refusing forbidden calls inside "by hand" functions, at run time.

Three layers, all active while a by-hand function runs:

* a ``TorchDispatchMode`` sees every aten operation that reaches the dispatcher, however the
  student reached it (``F.conv2d``, ``getattr(F, "con" + "v2d")``, ``__import__``,
  ``torch.ops.aten.convolution``, inside ``torch._C.DisableTorchFunction()``...). It also sees
  operations that run inside an autograd backward pass (``Tensor.backward``,
  ``torch.autograd.grad``).
* a ``TorchFunctionMode`` sees the Python-level API call by its public name, which catches
  composite operations that decompose into allowed ones (circular ``F.pad``) and names the call
  the way the student wrote it.
* :mod:`grader.run.libraries` refuses the same operations from numpy, scipy and OpenCV at the call
  (``numpy.correlate``, ``numpy.pad``, ``scipy.signal.correlate2d``, ``cv2.filter2D``...).

A verdict names a call the student made. Convolution, pooling and unfold/fold ops are refused
wherever they run, inside an allowed function too (a function that convolves is a convolution).
Padding ops (:data:`PADDING_ATEN`) are refused only as the student's own call: a forbidden public
function, a binding of the op under its own name (``torch.constant_pad_nd``), or the aten op
reached directly (``torch.ops.aten...``, inside ``DisableTorchFunction``); padding that runs
inside an allowed public function (``torch.fft.rfft2(K, s=...)``, ``torch.stft``) is that
function's own business.

A forbidden call raises :class:`ForbiddenCall` (a BaseException, so ``except Exception`` in
student code does not swallow it) and is recorded, so a caught one is still reported.
Attempts to switch the guard off, or to monkeypatch torch (which could run a forbidden
operation outside the guard), are refused by :func:`tampering`, a static scan of the source.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from grader.i18n import N_, _
from grader.run import libraries

FORBIDDEN_ATEN = re.compile(
    r"^aten\.(_?convolution\w*|_?conv\w*|\w*_conv\w*|thnn_conv\w*|cudnn_conv\w*|mkldnn_conv\w*|"
    r"miopen_conv\w*|im2col|col2im|\w*pool\w*|constant_pad_nd|\w*reflection_pad\w*|"
    r"\w*replication_pad\w*|_pad\w*|pad)$"
)
"""aten operations that compute a convolution, pooling, padding or unfold/fold."""

PADDING_ATEN = re.compile(r"^aten\.(constant_pad_nd|\w*reflection_pad\w*|\w*replication_pad\w*|_pad\w*|pad)$")
"""The forbidden aten operations that are refused only as the student's own call: padding that
runs inside an allowed public function (``torch.fft.rfft2(x, s=...)``, ``torch.stft``) is an
internal step of that function, not a call the student made."""

_FORBIDDEN_FUNCTION_NAMES = (
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "unfold", "fold", "pad", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
    "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "lp_pool1d", "lp_pool2d", "fractional_max_pool2d", "max_unpool2d",
)


def _forbidden_functions() -> dict[Any, str]:
    """Python-level torch callables a by-hand function may not call, by identity, with the
    public name a student knows them by (``Tensor.unfold`` is a method, not one of these)."""
    import torch.nn.functional as F
    import torch.nn.grad

    table: dict[Any, str] = {}
    for name in ("convolution", "conv_tbc", *_FORBIDDEN_FUNCTION_NAMES):
        if hasattr(torch, name):
            table.setdefault(getattr(torch, name), f"torch.{name}")
    for name in _FORBIDDEN_FUNCTION_NAMES:
        if hasattr(F, name):
            table[getattr(F, name)] = f"torch.nn.functional.{name}"
    for name in ("conv2d_input", "conv2d_weight", "conv1d_input", "conv1d_weight"):
        table[getattr(torch.nn.grad, name)] = f"torch.nn.grad.{name}"
    return table


FORBIDDEN_FUNCTIONS = _forbidden_functions()


@dataclass(frozen=True)
class Policy:
    """What one kind of task may not call."""

    aten: re.Pattern  # forbidden aten operations (matched against "aten.name")
    functions: dict  # forbidden Python-level callables -> their public names
    autograd: bool  # whether running a backward pass is forbidden
    own_call_only: re.Pattern | None = None  # of the aten ops, those allowed inside an allowed public function
    libraries: bool = False  # whether numpy's, scipy's and OpenCV's by-hand operations are refused too


def _closed_form_functions() -> dict[Any, str]:
    names = ("lstsq", "solve", "pinv", "inv", "solve_ex", "inv_ex", "tensorsolve", "tensorinv")
    table = {getattr(torch.linalg, n): f"torch.linalg.{n}" for n in names if hasattr(torch.linalg, n)}
    for n in ("pinverse", "inverse", "lstsq", "linalg_solve"):
        if hasattr(torch, n):
            table[getattr(torch, n)] = f"torch.{n}"
    return table


POLICIES = {
    "by_hand": Policy(FORBIDDEN_ATEN, FORBIDDEN_FUNCTIONS, autograd=True, own_call_only=PADDING_ATEN,
                      libraries=True),
    "no_closed_form": Policy(
        re.compile(r"^aten\.(linalg_(lstsq|solve\w*|pinv\w*|inv\w*|svd|eigh?|qr|cholesky\w*)|"
                   r"_linalg_(solve\w*|svd|eigh|inv\w*)|inverse|pinverse|lstsq|cholesky\w*|triangular_solve)$"),
        _closed_form_functions(), autograd=False),
}
"""Guard policies by name: ``by_hand`` (the contract's Forbidden list), ``no_closed_form``
(learn_kernel: gradient descent only, no least-squares or matrix solvers)."""

_TAMPER_NAMES = {
    "_DisableTorchDispatch", "DisableTorchFunction", "DisableTorchFunctionSubclass",
    "_python_dispatch", "_pop_mode", "_push_mode", "_unset_dispatch_mode", "_set_dispatch_mode",
    "_pop_torch_function_stack", "_push_on_torch_function_stack", "_len_torch_function_stack",
    "_disabled_torch_function_impl", "_disabled_torch_dispatch_impl", "TorchDispatchMode",
    "TorchFunctionMode", "_get_current_dispatch_mode", "_set_torch_function_mode",
    "_current_graph_task_id", "_ExcludeDispatchKeyGuard", "_ForceDispatchKeyGuard",
}
"""Names that only a submission switching the guard off needs."""


class ForbiddenCall(BaseException):
    """Raised at the first forbidden call; carries its name."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


_ATEN_KINDS = (("pool", N_("torch's pooling ({op})")), ("im2col", N_("torch's unfold (F.unfold) ({op})")),
               ("col2im", N_("torch's fold (F.fold) ({op})")), ("pad", N_("torch's padding (F.pad) ({op})")))
"""What a forbidden aten op computes, by a word in its name (else: a convolution)."""


def describe_aten(op_name: str) -> str:
    """A student-readable name for a forbidden aten op: ``aten.convolution`` ->
    ``torch's convolution (aten.convolution)``."""
    kind = next((label for word, label in _ATEN_KINDS if word in op_name), N_("torch's convolution ({op})"))
    return _(kind).format(op=op_name)


def _direct_op(func: Any) -> bool:
    """True for an aten operator object (``torch.ops.aten.constant_pad_nd``, an overload of it):
    calling one is calling the op itself, not a public function that happens to use it."""
    return isinstance(func, (torch._ops.OpOverload, torch._ops.OpOverloadPacket))


class _Attribution:
    """Whether the code running now is the student's own or the inside of an allowed public
    function they called (``depth`` > 0), shared by the two modes of one guard."""

    def __init__(self) -> None:
        self.depth = 0


class _FunctionGuard(TorchFunctionMode):
    """Sees each public torch call the student makes (the mode is off while the call runs, so
    the calls a public function makes inside itself are not seen)."""

    def __init__(self, policy: Policy, record: list[str], inside: _Attribution):
        super().__init__()
        self.policy = policy
        self.record = record
        self.inside = inside

    def _refused(self, func: Any) -> str | None:
        try:
            name = self.policy.functions.get(func)
        except TypeError:  # an unhashable callable is none of ours
            name = None
        if name is None and self.policy.own_call_only is not None and not _direct_op(func):
            # a binding of a forbidden op under its own name (torch.constant_pad_nd, torch._C._nn.reflection_pad2d)
            op = f"aten.{getattr(func, '__name__', '')}"
            if self.policy.aten.match(op):
                name = describe_aten(op)
        return name

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = self._refused(func)
        if name is not None:
            self.record.append(name)
            raise ForbiddenCall(name)
        if _direct_op(func):
            return func(*args, **(kwargs or {}))
        self.inside.depth += 1
        try:
            return func(*args, **(kwargs or {}))
        finally:
            self.inside.depth -= 1


class _DispatchGuard(TorchDispatchMode):
    def __init__(self, policy: Policy, record: list[str], counter: list[int], inside: _Attribution):
        super().__init__()
        self.policy = policy
        self.record = record
        self.counter = counter
        self.inside = inside

    def _students_call(self, name: str) -> bool:
        """Whether a forbidden op counts: always, except an op of ``own_call_only`` running inside
        an allowed public function."""
        own_only = self.policy.own_call_only
        return not (own_only is not None and own_only.match(name) and self.inside.depth > 0)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.counter[0] += 1
        name = str(func.overloadpacket)
        if self.policy.aten.match(name) and self._students_call(name):
            self.record.append(describe_aten(name) if self.policy.aten is FORBIDDEN_ATEN
                               else _("torch's {op}").format(op=name))
            raise ForbiddenCall(self.record[-1])
        if self.policy.autograd and torch._C._current_graph_task_id() != -1:
            self.record.append(_("autograd (Tensor.backward or torch.autograd.grad)"))
            raise ForbiddenCall(self.record[-1])
        return func(*args, **(kwargs or {}))


class _CountOnly(TorchDispatchMode):
    def __init__(self, counter: list[int]):
        super().__init__()
        self.counter = counter

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.counter[0] += 1
        return func(*args, **(kwargs or {}))


class Guard:
    """Context manager around one call of student code.

    With a policy name (a key of :data:`POLICIES`) it refuses what the policy forbids; either way
    it counts dispatched operations (``op_count``), which checks use to tell a vectorised
    implementation from a Python loop. After the block, ``forbidden`` lists what was refused
    (also when the student caught it).
    """

    def __init__(self, policy: str | None):
        self.policy = POLICIES[policy] if policy else None
        self.forbidden: list[str] = []
        self._count = [0]
        self._modes: list[Any] = []

    @property
    def op_count(self) -> int:
        return self._count[0]

    def __enter__(self) -> Guard:
        if self.policy:
            inside = _Attribution()
            self._modes = [_FunctionGuard(self.policy, self.forbidden, inside),
                           _DispatchGuard(self.policy, self.forbidden, self._count, inside)]
            if self.policy.libraries:
                self._modes.append(libraries.refusing(self.forbidden, ForbiddenCall))
        else:
            self._modes = [_CountOnly(self._count)]
        for mode in self._modes:
            mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        for mode in reversed(self._modes):
            try:
                mode.__exit__(None, None, None)
            except Exception:  # the student popped it already: tampering() reports that
                pass


def _torch_names(tree: ast.AST) -> set[str]:
    """Names the source binds to torch or something inside it (``torch``, ``F``, ``nn``, ``Tensor``...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] == "torch"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            names |= {a.asname or a.name for a in node.names}
    return names


def _root(node: ast.AST) -> tuple[str | None, list[str]]:
    """``torch.Tensor.clone`` -> ("torch", ["Tensor", "clone"])."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return (node.id if isinstance(node, ast.Name) else None), parts[::-1]


def _patches_torch(tree: ast.AST) -> list[str]:
    """Assignments to (and setattr/delattr on) attributes of torch: a monkeypatch could run a
    forbidden operation outside the guard (when the result is copied, say). Switching
    ``torch.backends`` flags is allowed."""
    torch_names = _torch_names(tree)
    found = []

    def check(target: ast.AST) -> None:
        name, parts = _root(target)
        if name in torch_names and parts and "backends" not in parts:
            found.append(_("an assignment to {target}").format(target=".".join([name, *parts])))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.Delete)):
            for target in node.targets:
                check(target)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            check(node.target)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
              and node.args):
            name, parts = _root(node.args[0])
            if name in torch_names and "backends" not in parts:
                found.append(_("{function}() on {target}").format(function=node.func.id,
                                                                    target=".".join([name, *parts])))
    return found


def tampering(source: str) -> list[str]:
    """What in a submission's source only code switching off the grader's guard needs: names of
    the guard's machinery, and monkeypatches of torch."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.alias):
            name = node.name.rsplit(".", 1)[-1]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value if node.value in _TAMPER_NAMES else None
        if name in _TAMPER_NAMES and name not in found:
            found.append(name)
    return found + [patch for patch in _patches_torch(tree) if patch not in found]
