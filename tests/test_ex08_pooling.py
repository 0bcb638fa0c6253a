"""ex08 (pooling): every check fails a plausible wrong submission with a precise message, and
correct submissions in other styles pass everything."""

from __future__ import annotations

import pytest

from tests.conftest import failed, solution_source

MODULE = "ex08_pooling"
SOLUTION = solution_source(MODULE)
MAX, AVG = "max_pool2d", "avg_pool2d"
STANDARD = ("matches_torch", "keeps_float64", "noncontiguous_inputs", "inputs_unmodified", "raises_like_torch")


def mutant(*edits: tuple[str, str]) -> str:
    """The model answer with each (old, new) replacement made once."""
    source = SOLUTION
    for old, new in edits:
        assert source.count(old) == 1, f"the model answer no longer contains {old!r} exactly once"
        source = source.replace(old, new)
    return source


def keys(task: str, *names: str) -> set[str]:
    return {f"{task}[{n}]" for n in names}


STRIDE_LINE = "step = kernel if stride is None else pair(stride)"
CEIL_TERM = "+ (s - 1 if ceil_mode else 0)"
LAST_WINDOW_RULE = """        if ceil_mode and (out - 1) * s >= n + p:
            out -= 1  # the last window would start in the right padding
"""
PAD_CHECK = """        if p > k // 2:
            raise RuntimeError("""
MAX_CALL = '_pool_windows(input, kernel_size, stride, padding, dilation, ceil_mode, float("-inf"))'
DIVISOR = "counts.append(end - start if count_include_pad else end.clamp(max=n) - start.clamp(min=0))"

CLASSIC_BUGS = {  # bug: (source, checks it fails (the first shows `text`), text)
    "stride None taken as 1": (
        mutant((STRIDE_LINE, "step = (1, 1) if stride is None else pair(stride)")),
        [f"{MAX}[matches_torch]", f"{AVG}[matches_torch]"], "expected (2, 2, 2, 3)"),
    "max pooling padded with zeros": (
        mutant((MAX_CALL, MAX_CALL.replace('float("-inf")', "0.0"))),
        [f"{MAX}[matches_torch]"], "all-negative input with padding"),
    "count_include_pad ignored": (
        mutant((DIVISOR, "counts.append(end - start)")),
        [f"{AVG}[matches_torch]"], "count_include_pad=False"),
    "ceil_mode ignored": (
        mutant((CEIL_TERM, "")),
        [f"{MAX}[matches_torch]", f"{AVG}[matches_torch]"], "has shape (1, 2, 2), expected (1, 2, 3)"),
    "ceil_mode without the last-window rule": (
        mutant((LAST_WINDOW_RULE, "")),
        [f"{MAX}[matches_torch]", f"{AVG}[matches_torch]"], "has shape (1, 3, 3), expected (1, 2, 3)"),
    "dilation ignored": (
        mutant((MAX_CALL, MAX_CALL.replace("dilation", "1"))),
        [f"{MAX}[matches_torch]"], "dilation 2"),
    "H and W swapped in the kernel": (
        mutant(("kernel, pad, dil = pair(kernel_size),", "kernel, pad, dil = pair(kernel_size)[::-1],")),
        [f"{MAX}[matches_torch]", f"{AVG}[matches_torch]"], "expected (1, 1, 5, 3)"),
    "H and W swapped in the stride": (
        mutant((STRIDE_LINE, "step = kernel if stride is None else pair(stride)[::-1]")),
        [f"{MAX}[matches_torch]", f"{AVG}[matches_torch]"], "has shape (1, 1, 3, 5), expected (1, 1, 5, 3)"),
    "avg divisor always kh*kw": (
        mutant((DIVISOR, "counts.append(torch.full_like(start, k) if count_include_pad "
                         "else end.clamp(max=n) - start.clamp(min=0))")),
        [f"{AVG}[matches_torch]"], "divisor 2, not 4"),
}


@pytest.mark.parametrize("bug", list(CLASSIC_BUGS))
def test_classic_bug_fails_matches_torch(grade_source, bug: str) -> None:
    source, expected_failures, shown = CLASSIC_BUGS[bug]
    results = grade_source(MODULE, source)
    assert set(expected_failures) <= failed(results)
    assert {results[key].status for key in expected_failures} <= {"failed", "error"}
    assert shown in results[expected_failures[0]].message, results[expected_failures[0]].message
    for task in (MAX, AVG):
        if f"{task}[matches_torch]" not in expected_failures:
            assert results[f"{task}[matches_torch]"].passed, results[f"{task}[matches_torch]"].message


def test_float32_result_for_float64_input_fails_keeps_float64(grade_source) -> None:
    results = grade_source(MODULE, mutant(("out = windows.amax(dim=(-2, -1))",
                                           "out = windows.amax(dim=(-2, -1)).float()")))
    assert failed(results) == keys(MAX, "keeps_float64")
    assert "expected torch.float64" in results[f"{MAX}[keeps_float64]"].message


def test_reading_the_storage_as_contiguous_fails_noncontiguous_inputs(grade_source) -> None:
    results = grade_source(MODULE, mutant((
        "padded[..., ph:ph + H, pw:pw + W] = x",
        "padded[..., ph:ph + H, pw:pw + W] = x.as_strided(x.shape, torch.empty(x.shape).stride())")))
    assert failed(results) == keys(MAX, "noncontiguous_inputs") | keys(AVG, "noncontiguous_inputs")


def test_negating_the_input_in_place_fails_inputs_unmodified(grade_source) -> None:
    results = grade_source(MODULE, mutant(
        (MAX_CALL, MAX_CALL.replace("(input,", "(input.neg_(),").replace('float("-inf")', 'float("inf")')),
        ("out = windows.amax(dim=(-2, -1))", "out = -windows.amin(dim=(-2, -1))")))
    assert failed(results) == keys(MAX, "inputs_unmodified")
    assert "modified its input in place" in results[f"{MAX}[inputs_unmodified]"].message


def test_accepting_too_much_padding_fails_raises_like_torch(grade_source) -> None:
    results = grade_source(MODULE, mutant((PAD_CHECK, "        if False:\n            raise RuntimeError(")))
    assert failed(results) == keys(MAX, "raises_like_torch") | keys(AVG, "raises_like_torch")
    assert "accepted an invalid input (padding 2 with kernel 2" in results[f"{MAX}[raises_like_torch]"].message


def test_padding_checked_against_the_longer_side_fails_raises_like_torch(grade_source) -> None:
    results = grade_source(MODULE, mutant((PAD_CHECK, PAD_CHECK.replace("k // 2", "max(kernel) // 2"))))
    assert keys(MAX, "raises_like_torch") <= failed(results)
    assert "padding (2, 0) with kernel (2, 4)" in results[f"{MAX}[raises_like_torch]"].message


def test_dilation_left_out_of_the_output_size_fails_raises_like_torch(grade_source) -> None:
    old = "_geometry(H, kh, sh, ph, dh, ceil_mode), _geometry(W, kw, sw, pw, dw, ceil_mode)"
    assert LOOPS.count(old) == 1
    results = grade_source(MODULE, LOOPS.replace(old, old.replace("dh", "1").replace("dw", "1")))
    assert keys(MAX, "matches_torch", "raises_like_torch") <= failed(results)
    assert "dilation 4" in results[f"{MAX}[raises_like_torch]"].message
    assert results[f"{AVG}[matches_torch]"].passed


def test_value_error_instead_of_runtime_error_fails_raises_like_torch(grade_source) -> None:
    results = grade_source(MODULE, SOLUTION.replace("raise RuntimeError(", "raise ValueError("))
    assert failed(results) == keys(MAX, "raises_like_torch") | keys(AVG, "raises_like_torch")
    assert "raised ValueError" in results[f"{AVG}[raises_like_torch]"].message
    assert "torch raises RuntimeError" in results[f"{AVG}[raises_like_torch]"].message


def test_calling_torch_pooling_is_forbidden(grade_source) -> None:
    results = grade_source(MODULE, """
        import torch.nn.functional as F

        def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
            return F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)

        def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
            return F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)
    """)
    assert all(r.status == "forbidden" and r.points == 0 for r in results.values())
    assert "max_pool2d" in results[f"{MAX}[matches_torch]"].message


def test_padding_with_f_pad_is_forbidden(grade_source) -> None:
    padding = "torch.nn.functional.pad(x, (pw, lengths[1] - W - pw, ph, lengths[0] - H - ph), value=fill)"
    results = grade_source(MODULE, mutant((
        "    padded = x.new_full((*x.shape[:-2], *lengths), fill)\n    padded[..., ph:ph + H, pw:pw + W] = x\n",
        f"    padded = {padding}\n")))
    assert {r.status for r in results.values()} == {"forbidden"}
    assert "called torch.nn.functional.pad" in results[f"{AVG}[matches_torch]"].message


LOOPS = """
    import math
    import torch


    def _geometry(n, k, s, p, d, ceil_mode):
        span = d * (k - 1) + 1
        if 2 * p > k or p < 0:
            raise RuntimeError("pad should be at most half of kernel size")
        top = n + 2 * p - span
        out = (math.ceil(top / s) if ceil_mode else math.floor(top / s)) + 1
        if ceil_mode and (out - 1) * s >= n + p:
            out -= 1
        if out <= 0:
            raise RuntimeError("output size is too small")
        return out


    def _pairs(*values):
        return [tuple(v) if isinstance(v, (tuple, list)) else (v, v) for v in values]


    def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        (kh, kw), (ph, pw), (dh, dw) = _pairs(kernel_size, padding, dilation)
        sh, sw = (kh, kw) if stride is None else _pairs(stride)[0]
        H, W = input.shape[-2:]
        oh, ow = _geometry(H, kh, sh, ph, dh, ceil_mode), _geometry(W, kw, sw, pw, dw, ceil_mode)
        x = input.double()
        out = torch.empty(*input.shape[:-2], oh, ow, dtype=torch.float64)
        for i in range(oh):
            rows = [r for r in range(i * sh - ph, i * sh - ph + dh * (kh - 1) + 1, dh) if 0 <= r < H]
            for j in range(ow):
                cols = [c for c in range(j * sw - pw, j * sw - pw + dw * (kw - 1) + 1, dw) if 0 <= c < W]
                if rows and cols:
                    out[..., i, j] = x[..., rows, :][..., cols].flatten(-2).max(-1).values
                else:
                    out[..., i, j] = -math.inf
        return out.to(input)


    def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        (kh, kw), (ph, pw) = _pairs(kernel_size, padding)
        sh, sw = (kh, kw) if stride is None else _pairs(stride)[0]
        H, W = input.shape[-2:]
        oh, ow = _geometry(H, kh, sh, ph, 1, ceil_mode), _geometry(W, kw, sw, pw, 1, ceil_mode)
        out = input.new_zeros(*input.shape[:-2], oh, ow)
        for i in range(oh):
            r0, r1 = i * sh - ph, min(i * sh - ph + kh, H + ph)
            for j in range(ow):
                c0, c1 = j * sw - pw, min(j * sw - pw + kw, W + pw)
                window = input[..., max(r0, 0):min(r1, H), max(c0, 0):min(c1, W)]
                count = (r1 - r0) * (c1 - c0) if count_include_pad else window.shape[-1] * window.shape[-2]
                out[..., i, j] = window.sum((-2, -1)) / count
        return out
"""

AS_STRIDED = """
    import torch


    def _pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)


    def _plan(n, k, s, p, d, ceil_mode):
        if p > k // 2:
            raise RuntimeError("pad should be at most half of effective kernel size")
        span = d * (k - 1) + 1
        q, r = divmod(n + 2 * p - span, s)
        out = q + 1 + (1 if ceil_mode and r and q * s + s < n + p else 0)
        if out < 1:
            raise RuntimeError("Output size is too small")
        return out, max(n + 2 * p, (out - 1) * s + span)


    def _windows(input, kernel_size, stride, padding, dilation, ceil_mode, fill):
        x = input.reshape(-1, *input.shape[-2:])
        k, p, d = _pair(kernel_size), _pair(padding), _pair(dilation)
        s = k if stride is None else _pair(stride)
        (oh, lh), (ow, lw) = (_plan(x.shape[i + 1], k[i], s[i], p[i], d[i], ceil_mode) for i in (0, 1))
        buf = torch.full((x.shape[0], lh, lw), fill, dtype=torch.float64, device=x.device)
        buf[:, p[0]:p[0] + x.shape[1], p[1]:p[1] + x.shape[2]] = x
        b, rs, cs = buf.stride()
        win = buf.as_strided((x.shape[0], oh, ow, k[0], k[1]), (b, rs * s[0], cs * s[1], rs * d[0], cs * d[1]))
        return win, (oh, ow), k, s, p


    def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        win, (oh, ow), *_ = _windows(input, kernel_size, stride, padding, dilation, ceil_mode, float("-inf"))
        return win.amax((-1, -2)).reshape(*input.shape[:-2], oh, ow).to(input.dtype)


    def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        win, (oh, ow), k, s, p = _windows(input, kernel_size, stride, padding, 1, ceil_mode, 0.0)
        ones = torch.ones(1, *input.shape[-2:], dtype=torch.float64, device=input.device)
        real = _windows(ones, k, s, p, 1, ceil_mode, 0.0)[0]
        H, W = input.shape[-2:]
        rows = torch.arange(oh)[:, None] * s[0] + torch.arange(k[0])[None, :] < H + 2 * p[0]
        cols = torch.arange(ow)[:, None] * s[1] + torch.arange(k[1])[None, :] < W + 2 * p[1]
        padded_count = (rows.sum(1)[:, None] * cols.sum(1)[None, :]).to(torch.float64)
        divisor = padded_count if count_include_pad else real[0].sum((-1, -2))
        out = win.sum((-1, -2)) / divisor
        return out.reshape(*input.shape[:-2], oh, ow).to(input.dtype)
"""


@pytest.mark.parametrize("source", [LOOPS, AS_STRIDED], ids=["loops_float64", "as_strided"])
def test_correct_submissions_in_other_styles_pass(grade_source, source: str) -> None:
    results = grade_source(MODULE, source)
    assert not failed(results), {k: r.message for k, r in results.items() if not r.passed}
    assert set(results) == keys(MAX, *STANDARD) | keys(AVG, *STANDARD)
