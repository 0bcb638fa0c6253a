"""Forbidden calls inside by-hand functions are caught at run time however they are reached,
reported as a failed check that names the call (not a crash), and ways around the guard are
refused before the code runs."""

from __future__ import annotations

import pytest

from grader.guard import Guard, ForbiddenCall, tampering
from tests.conftest import failed

EX01 = "ex01_cross_correlation"
SHAPES = "(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)"

ROUTES = {
    "plain": "import torch.nn.functional as F\nconv = F.conv2d",
    "getattr": "import torch.nn.functional as F\nconv = getattr(F, 'con' + 'v2d')",
    "__import__": "conv = __import__('torch.nn.functional', fromlist=['conv2d']).conv2d",
    "torch.ops.aten": ("import torch\n"
                       "def conv(x, k):\n"
                       "    return torch.ops.aten.convolution(x, k, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)"),
    "DisableTorchFunction": ("import torch\nimport torch.nn.functional as F\n"
                             "def conv(x, k):\n"
                             "    with torch._C.DisableTorchFunction():\n"
                             "        return F.conv2d(x, k)"),
    "nn.Conv2d": ("import torch\n"
                  "def conv(x, k):\n"
                  "    layer = torch.nn.Conv2d(1, 1, tuple(k.shape[-2:]), bias=False).to(x.dtype)\n"
                  "    layer.weight.data = k\n"
                  "    return layer(x).detach()"),
    "F.unfold": ("import torch.nn.functional as F\n"
                 "def conv(x, k):\n"
                 "    cols = F.unfold(x, k.shape[-2:])\n"
                 "    return (k.reshape(1, -1) @ cols).reshape(1, 1, x.shape[2] - k.shape[2] + 1, -1)"),
}


def submission(route: str) -> str:
    return (ROUTES[route] + "\n\n"
            "def cust_conv2d(X, K):\n"
            "    try:\n"
            "        return conv(X[None, None], K[None, None])[0, 0]\n"
            "    except Exception:\n"  # catching the refusal does not help
            f"        return X.new_zeros{SHAPES}\n\n"
            "def true_conv2d(X, K):\n"
            "    return cust_conv2d(X, K.flip(0, 1))\n")


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_to_torchs_convolution_is_refused_and_named(grade_source, route: str) -> None:
    results = grade_source(EX01, submission(route))
    assert failed(results) == set(results)
    result = results["cust_conv2d[matches_torch]"]
    assert result.status == "forbidden"
    if route == "DisableTorchFunction":  # refused before it runs (the run-time guard: below)
        assert "DisableTorchFunction" in result.message and "guard" in result.message
    else:
        assert "called" in result.message and "which this function may not use" in result.message
        assert "conv" in result.message.split("called", 1)[1].split(",")[0] or "unfold" in result.message


@pytest.mark.parametrize("inside", ["DisableTorchFunction", "DisableTorchFunctionSubclass"])
def test_the_run_time_guard_sees_through_disabled_torch_functions(inside: str) -> None:
    import torch
    import torch.nn.functional as F

    guard = Guard("by_hand")
    with pytest.raises(ForbiddenCall), guard, getattr(torch._C, inside)():
        F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2))
    assert len(guard.forbidden) == 1 and "conv" in guard.forbidden[0]


def test_a_correct_by_hand_answer_next_to_a_forbidden_one_still_passes(grade_source) -> None:
    source = submission("plain").replace("def true_conv2d(X, K):\n    return cust_conv2d(X, K.flip(0, 1))\n", (
        "def true_conv2d(X, K):\n"
        "    K = K.flip(0, 1)\n"
        "    windows = X.unfold(0, K.shape[0], 1).unfold(1, K.shape[1], 1)\n"
        "    return (windows * K).sum((-1, -2))\n"))
    results = grade_source(EX01, source)
    assert {k for k in failed(results) if k.startswith("true_conv2d")} == set()
    assert results["cust_conv2d[matches_torch]"].status == "forbidden"


def test_autograd_inside_a_by_hand_function_is_refused() -> None:
    import torch

    guard = Guard("by_hand")
    with pytest.raises(ForbiddenCall), guard:
        x = torch.ones(2, requires_grad=True)
        (x * 3).sum().backward()
    assert guard.forbidden == ["autograd (Tensor.backward or torch.autograd.grad)"]


def test_outside_a_by_hand_function_nothing_is_refused() -> None:
    import torch
    import torch.nn.functional as F

    with Guard(None) as guard:
        F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2))
    assert guard.forbidden == [] and guard.op_count >= 1


@pytest.mark.parametrize("source,found", [
    ("import torch\nwith torch._C._DisableTorchDispatch():\n    pass\n", "_DisableTorchDispatch"),
    ("from torch.utils._python_dispatch import _pop_mode\n", "_pop_mode"),
    ("import torch\ntorch.Tensor.clone = lambda self: self\n", "an assignment to torch.Tensor.clone"),
    ("import torch.nn.functional as F\nsetattr(F, 'pad', None)\n", "setattr() on F"),
])
def test_ways_around_the_guard_are_found_in_the_source(source: str, found: str) -> None:
    assert found in tampering(source)


def test_switching_backends_flags_is_not_tampering() -> None:
    assert tampering("import torch\ntorch.backends.cudnn.deterministic = True\nx = torch.zeros(2)\nx.data = x\n") == []
