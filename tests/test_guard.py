"""Forbidden calls inside by-hand functions are caught at run time however they are reached,
reported as a failed check that names the call (not a crash), and ways around the guard are
refused before the code runs."""

from __future__ import annotations

import pytest
import torch

from grader.run.guard import ForbiddenCall, Guard, tampering
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


# Attribution: a verdict names a call the student made, not an internal step of an allowed function.

FFT_CONV = '''import torch
{extra}

def cust_conv2d(X, K):
    H, W = X.shape
    kh, kw = K.shape
    {spectrum}
    full = torch.fft.irfft2(torch.fft.rfft2(X) * spectrum, s=(H, W))
    return full[kh - 1:, kw - 1:].contiguous()


def true_conv2d(X, K):
    return cust_conv2d(X, K.flip(0, 1))
'''
"""Correlation through the FFT: the flipped kernel is zero-padded to the input's size (by
``rfft2``'s ``s=``, or by an explicit ``F.pad`` call)."""


def test_a_correlation_through_the_fft_is_by_hand(grade_source) -> None:
    source = FFT_CONV.format(extra="", spectrum="spectrum = torch.fft.rfft2(K.flip(0, 1), s=(H, W))")
    results = grade_source(EX01, source)
    assert failed(results) == set(), [results[k].message for k in failed(results)]


def test_the_same_fft_with_its_own_f_pad_call_is_refused(grade_source) -> None:
    source = FFT_CONV.format(extra="import torch.nn.functional as F",
                             spectrum="spectrum = torch.fft.rfft2(F.pad(K.flip(0, 1), (0, W - kw, 0, H - kh)))")
    result = grade_source(EX01, source)["cust_conv2d[matches_torch]"]
    assert result.status == "forbidden" and "called torch.nn.functional.pad" in result.message


ALLOWED_ROUTES = {
    "rfft2 s=": lambda X: torch.fft.rfft2(X, s=(8, 8)),
    "fft n=": lambda X: torch.fft.fft(X, n=10),
    "stft (reflect-pads inside)": lambda X: torch.stft(X[0], n_fft=4, window=torch.ones(4, dtype=X.dtype),
                                                       return_complex=True),
    "interpolate": lambda X: torch.nn.functional.interpolate(X[None, None], scale_factor=2, mode="bilinear"),
    "roll": lambda X: torch.roll(X, 1, 0),
    "cat-built padding": lambda X: torch.cat([X.new_zeros(1, X.shape[1]), X, X.new_zeros(1, X.shape[1])]),
}


@pytest.mark.parametrize("route", sorted(ALLOWED_ROUTES))
def test_allowed_functions_that_pad_inside_are_not_refused(route: str) -> None:
    X = torch.randn(5, 6, dtype=torch.float64)
    with Guard("by_hand") as guard:
        ALLOWED_ROUTES[route](X)
    assert guard.forbidden == []


DIRECT_PADDING = {
    "F.pad": lambda X: torch.nn.functional.pad(X, (1, 1)),
    "getattr(F, 'p' + 'ad')": lambda X: getattr(torch.nn.functional, "p" + "ad")(X, (1, 1)),
    "torch.constant_pad_nd": lambda X: getattr(torch, "constant_pad_nd")(X, (1, 1)),
    "torch.ops.aten": lambda X: torch.ops.aten.constant_pad_nd(X, [1, 1]),
    "torch._C._nn.reflection_pad2d": lambda X: torch._C._nn.reflection_pad2d(X[None], [1, 1, 1, 1]),
    "inside DisableTorchFunction": lambda X: _without_torch_function(lambda: torch.nn.functional.pad(X, (1, 1))),
}


def _without_torch_function(fn):
    with torch._C.DisableTorchFunction():
        return fn()


@pytest.mark.parametrize("route", sorted(DIRECT_PADDING))
def test_padding_the_student_calls_is_refused_however_reached(route: str) -> None:
    X = torch.randn(5, 6, dtype=torch.float64)
    guard = Guard("by_hand")
    with pytest.raises(ForbiddenCall), guard:
        DIRECT_PADDING[route](X)
    assert len(guard.forbidden) == 1 and "pad" in guard.forbidden[0]


def test_pooling_inside_an_allowed_function_is_still_refused() -> None:
    guard = Guard("by_hand")  # interpolate's "area" mode is an adaptive average pooling
    with pytest.raises(ForbiddenCall), guard:
        torch.nn.functional.interpolate(torch.ones(1, 1, 4, 4), size=(2, 2), mode="area")
    assert len(guard.forbidden) == 1 and "pool" in guard.forbidden[0]


# Libraries outside torch: the by-hand policy is about the operation, whichever library.

NUMPY_CORRELATE = '''import numpy as np
import torch
{imports}

def cust_conv2d(X, K):
    x, k = X.numpy(), K.numpy()
    rows = [sum({correlate}(x[i + a], k[a], "valid") for a in range(k.shape[0]))
            for i in range(x.shape[0] - k.shape[0] + 1)]
    return torch.from_numpy(np.stack(rows)).to(X.dtype)


def true_conv2d(X, K):
    return cust_conv2d(X, K.flip(0, 1))
'''


@pytest.mark.parametrize("imports,correlate", [("", "np.correlate"), ("from numpy import correlate", "correlate")])
def test_numpy_correlate_row_by_row_is_refused_and_named(grade_source, imports: str, correlate: str) -> None:
    results = grade_source(EX01, NUMPY_CORRELATE.format(imports=imports, correlate=correlate))
    result = results["cust_conv2d[matches_torch]"]
    assert result.status == "forbidden"
    assert "called numpy.correlate (a library convolution)" in result.message


def test_numpy_pad_inside_pad2d_is_refused_and_named(grade_source) -> None:
    from tests.conftest import SOLUTIONS

    source = (SOLUTIONS / "ex03_padding_stride.py").read_text() + '''

def pad2d(X, padding, mode="zeros"):
    import numpy as np
    left, right, top, bottom = padding
    widths = [(0, 0)] * (X.dim() - 2) + [(top, bottom), (left, right)]
    modes = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
    return torch.from_numpy(np.pad(X.numpy(), widths, mode=modes[mode]))
'''
    result = grade_source("ex03_padding_stride", source)["pad2d[matches_torch]"]
    assert result.status == "forbidden" and "called numpy.pad (a library padding)" in result.message


def test_general_numpy_stays_allowed(grade_source) -> None:
    source = '''import numpy as np
import torch


def cust_conv2d(X, K):
    windows = np.lib.stride_tricks.sliding_window_view(X.numpy(), tuple(K.shape))
    return torch.from_numpy(np.einsum("ijab,ab->ij", windows, K.numpy()).copy())


def true_conv2d(X, K):
    return cust_conv2d(X, K.flip(0, 1))
'''
    results = grade_source(EX01, source)
    assert failed(results) == set(), [results[k].message for k in failed(results)]


def test_scipy_correlate2d_is_refused_and_named(grade_source) -> None:
    pytest.importorskip("scipy.signal", reason="scipy is not installed (not a dependency of convgrade); "
                                               "the refusal mechanism is shown with a stand-in module below")
    source = '''import torch
from scipy.signal import correlate2d


def cust_conv2d(X, K):
    return torch.from_numpy(correlate2d(X.numpy(), K.numpy(), mode="valid")).to(X.dtype)


def true_conv2d(X, K):
    return cust_conv2d(X, K.flip(0, 1))
'''
    result = grade_source(EX01, source)["cust_conv2d[matches_torch]"]
    assert result.status == "forbidden" and "scipy.signal.correlate2d (a library convolution)" in result.message


def test_opencv_filter2d_is_refused_and_named() -> None:
    cv2 = pytest.importorskip("cv2", reason="OpenCV is not installed (not a dependency of convgrade)")
    import numpy as np

    guard = Guard("by_hand")
    with pytest.raises(ForbiddenCall), guard:
        cv2.filter2D(np.ones((4, 4)), -1, np.ones((2, 2)))
    assert guard.forbidden == ["cv2.filter2D (a library convolution)"]


def test_a_library_imported_after_the_grader_is_refused_by_its_public_name(tmp_path, monkeypatch) -> None:
    """A stand-in ``scipy`` package (where the real one is absent): a submission that imports
    ``correlate2d`` from ``scipy.signal`` gets the refusing wrapper, named after the public module."""
    import sys

    from grader.run import libraries
    if "scipy" in sys.modules or __import__("importlib").util.find_spec("scipy") is not None:
        pytest.skip("the real scipy is installed: test_scipy_correlate2d_is_refused_and_named covers it")
    package = tmp_path / "scipy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_signaltools.py").write_text("def correlate2d(a, b, mode='full'):\n    return 'computed'\n")
    (package / "signal.py").write_text("from scipy._signaltools import correlate2d\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    libraries.install()
    try:
        from scipy.signal import correlate2d  # first: importing it patches the library
        from scipy._signaltools import correlate2d as inner  # so this name is bound to the wrapper

        assert correlate2d(1, 2) == "computed"  # outside a by-hand function it passes through
        for call in (correlate2d, inner):
            guard = Guard("by_hand")
            with pytest.raises(ForbiddenCall), guard:
                call(1, 2)
            assert guard.forbidden == ["scipy.signal.correlate2d (a library convolution)"]
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] == "scipy"]:
            del sys.modules[name]


def test_numpy_correlate_is_refused_in_the_worker_too() -> None:
    from grader.run.sandbox import Limits, WorkerTarget

    files = {f"{EX01}.py": NUMPY_CORRELATE.format(imports="", correlate="np.correlate")}
    X, K = torch.arange(12.0).reshape(3, 4), torch.ones(2, 2)
    with WorkerTarget(files, Limits()) as target:
        outcome = target.call(EX01, "cust_conv2d", (X, K), {}, forbidden="by_hand")
    assert list(outcome.forbidden) == ["numpy.correlate (a library convolution)"]
