"""ex05 (channels): the notes' own listing, classic mistakes, each failing the check meant for it,
and correct implementations in unusual styles, passing everything."""

from __future__ import annotations

import pytest
import torch

from grader.catalog.ex05_channels import NOTES_MULTI_IN
from grader.engine import registry
from grader.engine.context import Context
from grader.engine.judge import Variant, judge_call
from grader.run.target import InProcessTarget
from tests.conftest import ROOT, TEST_SETTINGS, failed, grade_folder

MODULE = "ex05_channels"
NOTES_LISTINGS = ROOT / "grader" / "ledger" / "listings"  # the notes' listings, verbatim
TASKS = ("conv2d_multi_in", "conv2d_multi_in_out", "conv2d_1x1")


def keys(task: str) -> set[str]:
    return {f"{task}[{c.name}]" for c in registry.get(MODULE).task(task).checks}


# --- the notes' listing --------------------------------------------------------------------------

def test_notes_listing_gets_its_own_3x5x5_example_right() -> None:
    """There C == kh == 3 and H == W == 5: the listing's buffer, sized (C - kh + 1, H - kw + 1) =
    (1, 3) from the channel count, broadcasts against the (3, 3) maps, so the bug goes unnoticed."""
    X, K = NOTES_MULTI_IN.args
    c, h, w = X.shape
    kh, kw = K.shape[1:]
    assert (c - kh + 1, h - kw + 1) == (1, 3) and (h - kh + 1, w - kw + 1) == (3, 3)
    ctx = Context(InProcessTarget(NOTES_LISTINGS), TEST_SETTINGS, registry.get(MODULE))
    outcome = judge_call(registry.get(MODULE).task("conv2d_multi_in"), ctx, NOTES_MULTI_IN, Variant(torch.float32))
    assert outcome.value.tolist() == [[19, 13, 15], [28, 16, 20], [23, 18, 25]]


def test_notes_listing_fails_matches_torch_on_a_shrunk_input_with_fewer_channels_than_rows() -> None:
    results = grade_folder(NOTES_LISTINGS, MODULE)
    result = results["conv2d_multi_in[matches_torch]"]
    assert result.status == "failed" and result.points == 0
    call = result.failure.call
    assert call.label == ""  # the pinned notes' example passed; a drawn input failed
    X, K = call.args
    c, h, w = X.shape
    # shrunk: one channel, a 1x1 kernel, a 2x1 image; the listing sizes its output (C - kh + 1, H - kw + 1)
    assert (c, tuple(K.shape[1:])) == (1, (1, 1)) and c != h and X.numel() <= 3
    assert f"expected ({h - K.shape[1] + 1}, {w - K.shape[2] + 1})" in result.message
    assert "result has shape" in result.message
    assert "recognised mistake: output sized from the channel count" in result.message
    # it also builds its buffers in the default dtype; and the 1x1 task is not in the listing
    assert "float32, expected torch.float64" in results["conv2d_multi_in[keeps_float64]"].message
    assert results["conv2d_multi_in_out[matches_torch]"].status == "failed"
    assert {r.status for k, r in results.items() if k.startswith("conv2d_1x1")} == {"not_submitted"}


# --- classic mistakes: (name, source, the check that must fail, a check that must still pass or None when
# every check judges the wrong values) ------------------------------------------------------------------

MISTAKES = [
    ("channels averaged", """
        import torch
        def conv2d_multi_in(X, K):
            kh, kw = K.shape[1:]
            windows = X.unfold(1, kh, 1).unfold(2, kw, 1)
            return (windows * K[:, None, None]).sum(dim=(3, 4)).mean(dim=0)
        """, "conv2d_multi_in[matches_torch]", None),
    ("only the first channel", """
        import torch
        def conv2d_multi_in(X, K):
            kh, kw = K.shape[1:]
            Y = torch.zeros(X.shape[1] - kh + 1, X.shape[2] - kw + 1, dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (X[0, i:i + kh, j:j + kw] * K[0]).sum()
            return Y
        """, "conv2d_multi_in[matches_torch]", None),
    ("buffer in the default dtype", """
        import torch
        def conv2d_multi_in(X, K):
            kh, kw = K.shape[1:]
            Y = torch.zeros(X.shape[1] - kh + 1, X.shape[2] - kw + 1)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (X[:, i:i + kh, j:j + kw] * K).sum()
            return Y
        """, "conv2d_multi_in[keeps_float64]", "conv2d_multi_in[matches_torch]"),
    ("as_strided with contiguous strides assumed", """
        import torch
        def conv2d_multi_in(X, K):
            c, h, w = X.shape
            kh, kw = K.shape[1:]
            windows = X.as_strided((c, h - kh + 1, w - kw + 1, kh, kw), (h * w, w, 1, w, 1))
            return torch.einsum("cijab,cab->ij", windows, K)
        """, "conv2d_multi_in[noncontiguous_inputs]", "conv2d_multi_in[matches_torch]"),
    ("unsqueeze_ on the kernel", """
        import torch
        def conv2d_multi_in_out(X, K):
            kh, kw = K.shape[2:]
            return torch.einsum("cijab,ocab->oij", X.unfold(1, kh, 1).unfold(2, kw, 1), K)
        def conv2d_multi_in(X, K):
            return conv2d_multi_in_out(X, K.unsqueeze_(0))[0]
        """, "conv2d_multi_in[inputs_unmodified]", "conv2d_multi_in[matches_torch]"),
    ("outputs stacked on the last axis", """
        import torch
        def conv2d_multi_in(X, K):
            kh, kw = K.shape[1:]
            return torch.einsum("cijab,cab->ij", X.unfold(1, kh, 1).unfold(2, kw, 1), K)
        def conv2d_multi_in_out(X, K):
            return torch.stack([conv2d_multi_in(X, k) for k in K], dim=-1)
        """, "conv2d_multi_in_out[matches_torch]", "conv2d_multi_in[matches_torch]"),
    ("output buffer in the default dtype", """
        import torch
        def conv2d_multi_in_out(X, K):
            o, c, kh, kw = K.shape
            Y = torch.zeros(o, X.shape[1] - kh + 1, X.shape[2] - kw + 1)
            for a in range(kh):
                for b in range(kw):
                    Y += torch.einsum("oc,cij->oij", K[:, :, a, b], X[:, a:a + Y.shape[1], b:b + Y.shape[2]])
            return Y
        """, "conv2d_multi_in_out[keeps_float64]", "conv2d_multi_in_out[matches_torch]"),
    ("kernel flattened with view", """
        import torch
        def conv2d_multi_in_out(X, K):
            o, c, kh, kw = K.shape
            windows = X.unfold(1, kh, 1).unfold(2, kw, 1)  # (C, H', W', kh, kw)
            cols = windows.permute(1, 2, 0, 3, 4).reshape(windows.shape[1], windows.shape[2], -1)
            return torch.einsum("ijk,ok->oij", cols, K.view(o, c * kh * kw))
        """, "conv2d_multi_in_out[noncontiguous_inputs]", "conv2d_multi_in_out[matches_torch]"),
    ("kernel flattened with resize_", """
        import torch
        def conv2d_multi_in_out(X, K):
            o, c, kh, kw = K.shape
            windows = X.unfold(1, kh, 1).unfold(2, kw, 1)
            cols = windows.permute(1, 2, 0, 3, 4).reshape(windows.shape[1], windows.shape[2], -1)
            return torch.einsum("ijk,ok->oij", cols, K.resize_(o, c * kh * kw))
        """, "conv2d_multi_in_out[inputs_unmodified]", "conv2d_multi_in_out[matches_torch]"),
    ("1x1: reshape mixing channel and pixel axes", """
        def conv2d_1x1(X, K):
            c, h, w = X.shape
            return (X.reshape(h * w, c) @ K.reshape(K.shape[0], c).T).T.reshape(-1, h, w)
        """, "conv2d_1x1[matches_torch]", None),
    ("1x1: squeeze() drops a channel axis of size one", """
        def conv2d_1x1(X, K):
            c, h, w = X.shape
            return (K.squeeze() @ X.reshape(c, h * w)).reshape(-1, h, w)
        """, "conv2d_1x1[matches_torch]", "conv2d_1x1[loop_free]"),
    ("1x1: a Python loop over input channels", """
        def conv2d_1x1(X, K):
            return sum(K[:, c, :, :] * X[c] for c in range(X.shape[0]))
        """, "conv2d_1x1[loop_free]", "conv2d_1x1[matches_torch]"),
    ("1x1: a Python loop over pixels", """
        import torch
        def conv2d_1x1(X, K):
            c, h, w = X.shape
            Y = torch.empty(K.shape[0], h, w, dtype=X.dtype)
            for i in range(h):
                for j in range(w):
                    Y[:, i, j] = K[:, :, 0, 0] @ X[:, i, j]
            return Y
        """, "conv2d_1x1[loop_free]", "conv2d_1x1[matches_torch]"),
    ("1x1: cast to float", """
        def conv2d_1x1(X, K):
            c, h, w = X.shape
            return (K.reshape(-1, c).float() @ X.reshape(c, h * w).float()).reshape(-1, h, w)
        """, "conv2d_1x1[keeps_float64]", "conv2d_1x1[loop_free]"),
    ("1x1: view on the input", """
        def conv2d_1x1(X, K):
            c, h, w = X.shape
            return (K.reshape(-1, c) @ X.view(c, h * w)).reshape(-1, h, w)
        """, "conv2d_1x1[noncontiguous_inputs]", "conv2d_1x1[matches_torch]"),
    ("1x1: squeeze_ on the kernel", """
        def conv2d_1x1(X, K):
            c, h, w = X.shape
            return (K.squeeze_(-1).squeeze_(-1) @ X.reshape(c, h * w)).reshape(-1, h, w)
        """, "conv2d_1x1[inputs_unmodified]", "conv2d_1x1[loop_free]"),
]


@pytest.mark.parametrize("name, source, fails, passes", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_classic_mistake_fails_its_check(grade_source, name: str, source: str, fails: str, passes: str | None) -> None:
    results = grade_source(MODULE, source)
    assert not results[fails].passed and results[fails].points == 0, (name, fails)
    if passes:  # a check about something else, still passed
        assert results[passes].passed, (name, passes, results[passes].message)


def test_every_check_is_failed_by_some_mistake() -> None:
    declared = set().union(*(keys(t) for t in TASKS))
    assert declared == {m[2] for m in MISTAKES}


def test_mistake_messages_name_the_problem(grade_source) -> None:
    source = {m[0]: m[1] for m in MISTAKES}
    stacked = grade_source(MODULE, source["outputs stacked on the last axis"])
    message = stacked["conv2d_multi_in_out[matches_torch]"].message
    assert "result has shape" in message
    assert "recognised mistake: output channels stacked on the last axis" in message
    looped = grade_source(MODULE, source["1x1: a Python loop over pixels"])["conv2d_1x1[loop_free]"]
    assert "it loops in Python" in looped.message and "4 channels in, 3 out, a 5x6 image" in looped.message
    averaged = grade_source(MODULE, source["channels averaged"])["conv2d_multi_in[matches_torch]"]
    assert averaged.failure.call.label == "the notes' 3x5x5 example"
    assert "expected 28, got 9.33333" in averaged.message
    assert "recognised mistake: channels averaged instead of summed" in averaged.message
    mixed = grade_source(MODULE, source["1x1: reshape mixing channel and pixel axes"])["conv2d_1x1[matches_torch]"]
    assert "recognised mistake: channel and pixel axes mixed by a reshape" in mixed.message


# --- correct implementations in unusual styles ---------------------------------------------------

UNUSUAL = {
    "loops, channel innermost, float64 accumulator": """
        import torch
        def conv2d_multi_in(X, K):
            c, kh, kw = K.shape
            Y = torch.zeros(X.shape[1] - kh + 1, X.shape[2] - kw + 1, dtype=torch.float64, device=X.device)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    for ch in range(c):
                        Y[i, j] += (X[ch, i:i + kh, j:j + kw].double() * K[ch].double()).sum()
            return Y.to(X.dtype)
        def conv2d_multi_in_out(X, K):
            return torch.cat([conv2d_multi_in(X, K[o]).unsqueeze(0) for o in range(K.shape[0])])
        def conv2d_1x1(X, K):
            return torch.einsum("oc,chw->ohw", K[:, :, 0, 0], X)
        """,
    "as_strided with the real strides, tensordot, permuted matmul": """
        import torch
        def conv2d_multi_in(X, K):
            return conv2d_multi_in_out(X, K.unsqueeze(0))[0]
        def conv2d_multi_in_out(X, K):
            c, h, w = X.shape
            kh, kw = K.shape[2:]
            s = X.stride()
            windows = X.as_strided((c, h - kh + 1, w - kw + 1, kh, kw), (s[0], s[1], s[2], s[1], s[2]))
            return torch.tensordot(K, windows, dims=([1, 2, 3], [0, 3, 4]))
        def conv2d_1x1(X, K):
            return (X.permute(1, 2, 0) @ K[:, :, 0, 0].T).permute(2, 0, 1)
        """,
}


@pytest.mark.parametrize("name", list(UNUSUAL))
def test_unusual_but_correct_passes_everything(grade_source, name: str) -> None:
    results = grade_source(MODULE, UNUSUAL[name])
    assert not failed(results), {k: results[k].message for k in failed(results)}


def test_importing_cust_conv2d_from_the_sibling_exercise_passes(grade_source) -> None:
    sibling = (ROOT / "solutions" / "ex01_cross_correlation.py").read_text()
    results = grade_source(MODULE, """
        import torch
        from ex01_cross_correlation import cust_conv2d
        def conv2d_multi_in(X, K):
            return sum(cust_conv2d(x, k) for x, k in zip(X, K))
        def conv2d_multi_in_out(X, K):
            return torch.stack([conv2d_multi_in(X, k) for k in K])
        """, ex01_cross_correlation=sibling)
    assert not failed(results) & (keys("conv2d_multi_in") | keys("conv2d_multi_in_out"))
