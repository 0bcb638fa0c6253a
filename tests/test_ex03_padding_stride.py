"""ex03: the references are torch's behaviour (including where padding="same" puts its
pixels); every check fails a plausible wrong implementation with a precise message; correct
implementations in other styles pass."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from grader.catalog import ex03_padding_stride as ex03
from grader.engine import registry
from grader.engine.outcome import CheckResult
from grader.engine.runner import Runner
from grader.run.target import InProcessTarget
from tests.conftest import TEST_SETTINGS, failed, solution_source

MODULE = "ex03_padding_stride"
SOLUTION = solution_source(MODULE)
CHECKS = ("matches_torch", "keeps_float64", "noncontiguous_inputs", "inputs_unmodified", "raises_like_torch")
PAD = {f"pad2d[{c}]" for c in CHECKS}
CONV = {f"conv2d_strided[{c}]" for c in CHECKS}
SAME = {"same_padding[matches_torch]"}


@pytest.fixture
def grade(tmp_path: Path):
    """``grade(source, *tasks)``: write ``source`` as the exercise file (beside a copy of the model
    answer, importable as ``solution_copy``) and run the checks of the named tasks only, keyed
    ``"task[check]"`` (grading the whole exercise for each mutant would triple the time)."""
    counter = [0]

    def run(source: str, *tasks: str) -> dict[str, CheckResult]:
        counter[0] += 1
        folder = tmp_path / f"submission{counter[0]}"
        folder.mkdir()
        (folder / f"{MODULE}.py").write_text(textwrap.dedent(source))
        (folder / "solution_copy.py").write_text(SOLUTION)
        runner = Runner(InProcessTarget(folder), TEST_SETTINGS)
        exercise = registry.get(MODULE)
        return {f"{name}[{check.name}]": runner.run_check(exercise, exercise.task(name), check)
                for name in tasks for check in exercise.task(name).checks}

    return run


def mutant(*replacements: str) -> str:
    """The model answer with pieces replaced: old1, new1, old2, new2, ..."""
    source = SOLUTION
    for old, new in zip(replacements[::2], replacements[1::2]):
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


# --- the references are torch's behaviour --------------------------------------------------------


@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("dilation", [1, 2, 3])
def test_same_padding_is_where_torch_puts_it(kernel_size: int, dilation: int) -> None:
    """padding="same" equals explicit zero padding (before, after) followed by a valid
    convolution, for even and odd kernels, with distinct kernels along H and W."""
    before, after = ex03.reference_same_padding(kernel_size, dilation)
    total = dilation * (kernel_size - 1)
    assert (before, after) == (total // 2, total - total // 2)
    g = torch.Generator().manual_seed(kernel_size * 10 + dilation)
    X = torch.randn(1, 1, 9, 8, dtype=torch.float64, generator=g)
    K = torch.randn(1, 1, kernel_size, 2, dtype=torch.float64, generator=g)
    w_before, w_after = ex03.reference_same_padding(2, 1)
    same = ex03.conv2d_quietly(X, K, padding="same", dilation=(dilation, 1))
    explicit = F.conv2d(F.pad(X, (w_before, w_after, before, after)), K, dilation=(dilation, 1))
    torch.testing.assert_close(same, explicit, rtol=0, atol=1e-12)
    if total % 2:  # the other placement really is different
        wrong = F.conv2d(F.pad(X, (w_before, w_after, after, before)), K, dilation=(dilation, 1))
        assert not torch.allclose(same, wrong)


def test_pad_reference_handles_any_leading_dimensions() -> None:
    X = torch.arange(2 * 3 * 3 * 4, dtype=torch.float64).reshape(2, 3, 3, 4)
    for mode in ex03.MODES:
        padded = ex03.reference_pad2d(X, (2, 1, 0, 2), mode)
        assert padded.shape == (2, 3, 5, 7)
        assert torch.equal(ex03.reference_pad2d(X[1, 2], (2, 1, 0, 2), mode), padded[1, 2])
    assert ex03.reference_pad2d(X[0, 0], (1, 0, 0, 0), "reflect")[0].tolist() == [1, 0, 1, 2, 3]


def test_pad_limits_are_torchs() -> None:
    X = torch.zeros(1, 3, 4)
    for mode in ("reflect", "circular"):
        F.pad(X, (ex03.pad_limit(4, mode),) * 2 + (ex03.pad_limit(3, mode),) * 2, mode=mode)
        with pytest.raises(RuntimeError):
            F.pad(X, (ex03.pad_limit(4, mode) + 1, 0, 0, 0), mode=mode)


# --- pad2d ----------------------------------------------------------------------------------------

ZEROS_END = "        return out\n    return X[..., source(h, top, bottom), :][..., source(w, left, right)]\n"

# each wrong pad2d: its source, and the checks of pad2d it fails with fragments of their messages
PAD_WRONG = {
    "padding_on_one_side_only": (
        mutant("h + top + bottom, w + left + right", "h + top, w + left",
               "torch.arange(-before, size + after,", "torch.arange(-before, size,"),
        {"matches_torch": ["has shape", "expected"], "keeps_float64": [], "noncontiguous_inputs": [],
         "inputs_unmodified": []}),
    "reflect_implemented_as_replicate": (
        mutant('        if mode == "replicate":\n', '        if mode in ("replicate", "reflect"):\n'),
        {"matches_torch": ["differs at", "reflect"], "keeps_float64": [], "noncontiguous_inputs": [],
         "inputs_unmodified": []}),
    "new_tensor_in_the_default_dtype": (
        mutant("out = X.new_zeros(*X.shape[:-2], h + top + bottom, w + left + right)",
               "out = torch.zeros(*X.shape[:-2], h + top + bottom, w + left + right)"),
        {"keeps_float64": ["dtype torch.float32", "float64"]}),
    "rows_through_view": (
        mutant(ZEROS_END, "        return out\n"
                          "    rows = X.view(-1, w)[:, source(w, left, right)]  # every row of every matrix\n"
                          "    return rows.view(*X.shape[:-1], -1)[..., source(h, top, bottom), :]\n"),
        {"noncontiguous_inputs": ["view"]}),
    "matrix_unsqueezed_in_place": (
        mutant("    h, w = X.shape[-2:]\n",
               "    matrix = X.dim() == 2\n"
               "    if matrix:\n"
               "        X.unsqueeze_(0)  # a stack of one matrix\n"
               "    h, w = X.shape[-2:]\n",
               ZEROS_END, "    else:\n        out = X[..., source(h, top, bottom), :][..., source(w, left, right)]\n"
                          "    return out[0] if matrix else out\n"),
        {"inputs_unmodified": ["modified its input in place"]}),
    "reflect_never_refused": (
        mutant('        if mode == "reflect" and max(before, after) >= size:\n'
               '            raise RuntimeError(f"reflect padding ({before}, {after}) must be smaller than the size '
               '{size}")\n', ""),
        {"raises_like_torch": ["accepted an invalid input", "reflect padding 4"]}),
    "wrong_exception_type": (
        mutant('raise RuntimeError(f"circular padding', 'raise ValueError(f"circular padding'),
        {"raises_like_torch": ["raised ValueError", "torch raises RuntimeError"]}),
    "calls_f_pad": (
        """
        import torch.nn.functional as F
        from solution_copy import same_padding, conv2d_strided

        def pad2d(X, padding, mode="zeros"):
            return F.pad(X, padding, mode="constant" if mode == "zeros" else mode)
        """,
        {check: ["torch.nn.functional.pad"] for check in CHECKS}),
}


def assert_fails_exactly(results: dict, task: str, expected: dict[str, list[str]]) -> None:
    """``task``'s failed checks are exactly those of ``expected``, each message holding its fragments."""
    assert {k for k in failed(results) if k.startswith(task + "[")} == {f"{task}[{c}]" for c in expected}
    for check, fragments in expected.items():
        message = results[f"{task}[{check}]"].message
        for fragment in fragments:
            assert fragment in message, (check, fragment, message)


@pytest.mark.parametrize("name", PAD_WRONG)
def test_wrong_pad2d_fails_the_checks_it_should(grade, name: str) -> None:
    source, expected = PAD_WRONG[name]
    results = grade(source, "pad2d", "same_padding")
    assert_fails_exactly(results, "pad2d", expected)
    assert not failed(results) & SAME


# --- same_padding ---------------------------------------------------------------------------------

SAME_ANSWER = "    return total // 2, total - total // 2\n"

SAME_WRONG = {
    "extra_pixel_before": (mutant(SAME_ANSWER, "    return total - total // 2, total // 2\n"),
                           ["result[0] should be 0, got 1", "arg 1 = 2"]),
    "total_on_each_side": (mutant(SAME_ANSWER, "    return total, total\n"), ["result[0] should be 0, got 1"]),
    "true_division": (mutant(SAME_ANSWER, "    return total / 2, total / 2\n"), ["a float", "use //"]),
    "dilation_ignored": (mutant("    total = dilation * (kernel_size - 1)\n", "    total = kernel_size - 1\n"),
                         ["dilation = 2"]),
}


@pytest.mark.parametrize("name", SAME_WRONG)
def test_wrong_same_padding_fails(grade, name: str) -> None:
    source, fragments = SAME_WRONG[name]
    results = grade(source, "same_padding", "pad2d")
    assert failed(results) == SAME, name
    for fragment in fragments:
        assert fragment in results["same_padding[matches_torch]"].message, (fragment, results)


# --- conv2d_strided -------------------------------------------------------------------------------

UNFOLD = "    windows = Xp.unfold(0, span_h, sh).unfold(1, span_w, sw)[..., ::dh, ::dw]\n"
PER_SIDE = "        bottom, right = top, left\n"

LOOPS = """
    import torch
    from solution_copy import pad2d, same_padding


    def conv2d_strided(X, K, stride=1, padding=0, dilation=1):
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
        kh, kw = K.shape
        if padding == "same":
            if (sh, sw) != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            (top, bottom), (left, right) = same_padding(kh, dh), same_padding(kw, dw)
        else:
            ph, pw = (0, 0) if padding == "valid" else (padding, padding) if isinstance(padding, int) else padding
            top, bottom, left, right = ph, ph, pw, pw
        Xp = pad2d(X, (left, right, top, bottom))
        Hp, Wp = Xp.shape
        if dh * (kh - 1) + 1 > Hp or dw * (kw - 1) + 1 > Wp:
            raise RuntimeError("kernel larger than the padded input")
        Ho = {rows}
        Wo = (Wp - dw * (kw - 1) - 1) // sw + 1
        Y = torch.zeros(Ho, Wo, dtype=X.dtype, device=X.device)
        for i in range(Ho):
            for j in range(Wo):
                for a in range(kh):
                    for b in range(kw):
                        Y[i, j] += Xp[i * sh + a * dh, j * sw + b * dw] * K[a, b]
        return Y
"""

CONV_WRONG = {
    "stride_ignored": (mutant(UNFOLD, UNFOLD.replace("span_h, sh", "span_h, 1").replace("span_w, sw", "span_w, 1")),
                       {"matches_torch": ["has shape", "stride"], "keeps_float64": [], "noncontiguous_inputs": [],
                        "inputs_unmodified": []}),
    "dilation_ignored": (mutant(UNFOLD, UNFOLD.replace("[..., ::dh, ::dw]", ""),
                                "    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1\n",
                                "    span_h, span_w = kh, kw\n"),
                         {"matches_torch": ["dilation"], "keeps_float64": [], "noncontiguous_inputs": [],
                          "inputs_unmodified": [], "raises_like_torch": ["dilation (1, 4)"]}),
    "h_and_w_swapped": (mutant("    sh, sw = (stride, stride) if isinstance(stride, int) else stride\n",
                               "    sw, sh = (stride, stride) if isinstance(stride, int) else stride\n"),
                        {"matches_torch": ["has shape", "stride = ("], "keeps_float64": [],
                         "noncontiguous_inputs": [], "inputs_unmodified": []}),
    "off_by_one_output_size": (LOOPS.replace("{rows}", "(Hp - dh * (kh - 1) - 1) // sh"),
                               {"matches_torch": ["has shape"], "keeps_float64": [], "noncontiguous_inputs": [],
                                "inputs_unmodified": []}),
    "same_extra_pixel_before": (mutant("(top, bottom), (left, right) = same_padding(kh, dh)",
                                       "(bottom, top), (right, left) = same_padding(kh, dh)"),
                                {"matches_torch": ["differs at", "padding = 'same'"], "keeps_float64": [],
                                 "noncontiguous_inputs": [], "inputs_unmodified": []}),
    "padding_on_one_side_only": (mutant(PER_SIDE, "        bottom, right = 0, 0\n"),
                                 {"matches_torch": ["has shape", "padding"], "keeps_float64": [],
                                  "noncontiguous_inputs": [], "inputs_unmodified": ["has shape"]}),
    "padding_taken_as_the_total": (mutant(PER_SIDE, "        top, left = top // 2, left // 2\n" + PER_SIDE),
                                   {"matches_torch": ["has shape", "padding"], "keeps_float64": [],
                                    "noncontiguous_inputs": [], "inputs_unmodified": ["has shape"]}),
    "float32_inside": (mutant('    return torch.einsum("ijab,ab->ij", windows, K)\n',
                              '    return torch.einsum("ijab,ab->ij", windows.float(), K.float())\n'),
                       {"keeps_float64": ["dtype torch.float32"]}),
    "contiguous_strides_assumed": (mutant(
        "    Xp = pad2d(X, (left, right, top, bottom))\n",
        "    Xp = pad2d(X, (left, right, top, bottom)) if any((left, right, top, bottom)) else X\n",
        UNFOLD,
        "    Ho, Wo = (Xp.shape[0] - span_h) // sh + 1, (Xp.shape[1] - span_w) // sw + 1\n"
        "    W = Xp.shape[1]\n"
        "    windows = Xp.as_strided((Ho, Wo, kh, kw), (sh * W, sw, dh * W, dw))\n"),
        {"noncontiguous_inputs": ["differs at"]}),
    "input_unsqueezed_in_place": (mutant(
        "    Xp = pad2d(X, (left, right, top, bottom))\n",
        "    Xp = pad2d(X.unsqueeze_(0), (left, right, top, bottom))[0]  # pad2d on a stack of one\n"),
        {"inputs_unmodified": ["modified its input in place"]}),
    "same_accepted_with_a_stride": (mutant(
        "        if (sh, sw) != (1, 1):\n"
        "            raise RuntimeError(\"padding='same' is not supported for strided convolutions\")\n", ""),
        {"raises_like_torch": ["accepted an invalid input", "stride 2"]}),
    "calls_f_conv2d": (
        """
        import torch.nn.functional as F
        from solution_copy import pad2d, same_padding

        def conv2d_strided(X, K, stride=1, padding=0, dilation=1):
            return F.conv2d(X[None, None], K[None, None], stride=stride, padding=padding, dilation=dilation)[0, 0]
        """,
        {check: ["torch.nn.functional.conv2d"] for check in CHECKS}),
}


@pytest.mark.parametrize("name", CONV_WRONG)
def test_wrong_conv2d_strided_fails_the_checks_it_should(grade, name: str) -> None:
    source, expected = CONV_WRONG[name]
    results = grade(source, "conv2d_strided", "same_padding")
    assert_fails_exactly(results, "conv2d_strided", expected)
    assert not failed(results) & SAME


# --- correct implementations in other styles ------------------------------------------------------

UNUSUAL = """
    import torch


    def pad2d(X, padding, mode="zeros"):
        left, right, top, bottom = padding

        def pad_last(T, before, after):
            n = T.shape[-1]
            if mode == "zeros":
                zeros = lambda m: torch.zeros(*T.shape[:-1], m, dtype=T.dtype, device=T.device)
                return torch.cat([zeros(before), T, zeros(after)], dim=-1)
            if mode == "replicate":
                edge = lambda part, m: part.expand(*T.shape[:-1], m)
                return torch.cat([edge(T[..., :1], before), T, edge(T[..., -1:], after)], dim=-1)
            if mode == "reflect":
                if before >= n or after >= n:
                    raise RuntimeError("reflect padding must be smaller than the input")
                return torch.cat([T[..., 1:before + 1].flip(-1), T, T[..., n - 1 - after:n - 1].flip(-1)], dim=-1)
            if before > n or after > n:
                raise RuntimeError("circular padding wraps around more than once")
            return torch.cat([T[..., n - before:], T, T[..., :after]], dim=-1)

        wide = pad_last(X.double(), left, right)
        return pad_last(wide.transpose(-1, -2), top, bottom).transpose(-1, -2).to(X.dtype)


    def same_padding(kernel_size, dilation=1):
        before, odd = divmod(dilation * (kernel_size - 1), 2)
        return [before, before + odd]


    def conv2d_strided(X, K, stride=1, padding=0, dilation=1):
        sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
        dh, dw = dilation if isinstance(dilation, tuple) else (dilation, dilation)
        kh, kw = K.shape
        if isinstance(padding, str):
            if padding == "same" and (sh, sw) != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            (t, b), (l, r) = (same_padding(kh, dh), same_padding(kw, dw)) if padding == "same" else ((0, 0), (0, 0))
        else:
            ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
            t, b, l, r = ph, ph, pw, pw
        Xp = pad2d(X, (l, r, t, b))
        Ho = (Xp.shape[0] - dh * (kh - 1) - 1) // sh + 1
        Wo = (Xp.shape[1] - dw * (kw - 1) - 1) // sw + 1
        if Ho < 1 or Wo < 1:
            raise RuntimeError("kernel size can't be greater than actual input size")
        out = X.new_zeros(Ho, Wo)
        for a in range(kh):  # one shifted, strided view of the input per kernel tap
            for c in range(kw):
                rows = slice(a * dh, a * dh + (Ho - 1) * sh + 1, sh)
                cols = slice(c * dw, c * dw + (Wo - 1) * sw + 1, sw)
                out = out + K[a, c] * Xp[rows, cols]
        return out
"""

AS_STRIDED = mutant(UNFOLD, "    Ho, Wo = (Xp.shape[0] - span_h) // sh + 1, (Xp.shape[1] - span_w) // sw + 1\n"
                            "    s0, s1 = Xp.stride()\n"
                            "    windows = Xp.as_strided((Ho, Wo, kh, kw), (sh * s0, sw * s1, dh * s0, dw * s1),\n"
                            "                            Xp.storage_offset())\n")


@pytest.mark.parametrize("source", [UNUSUAL, AS_STRIDED, LOOPS.replace("{rows}", "(Hp - dh * (kh - 1) - 1) // sh + 1")
                                    + "\n"], ids=["cat_divmod_taps", "as_strided", "loops"])
def test_correct_implementations_in_other_styles_pass(grade, source: str) -> None:
    results = grade(source, "pad2d", "same_padding", "conv2d_strided")
    assert set(results) == PAD | SAME | CONV
    assert {k: r.message for k, r in results.items() if not r.passed} == {}
