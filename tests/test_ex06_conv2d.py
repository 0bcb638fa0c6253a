"""ex06 (conv2d, im2col, conv2d_backward): the reference agrees with nn.Conv2d itself, the drawn
configurations are valid and varied, classic mistakes fail the check meant for them (and only
that one), and correct implementations in unusual styles pass everything."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings

from grader.catalog.ex06_conv2d import (
    PADDING_MODES,
    backward_calls,
    conv2d_calls,
    im2col_calls,
    reference_conv2d,
    reference_conv2d_backward,
    reference_im2col,
)
from grader.engine import registry
from grader.engine.outcome import CheckResult
from grader.engine.runner import Runner
from grader.run.target import InProcessTarget
from tests.conftest import TEST_SETTINGS, solution_source

MODULE = "ex06_conv2d"
SOLUTION = solution_source(MODULE)
DRAWS = settings(max_examples=100, deadline=None, derandomize=True, database=None)


@pytest.fixture
def grade(tmp_path: Path):
    """``grade(source, task, *checks, **sibling_files)``: write ``source`` as ex06_conv2d.py in a
    fresh folder and run the named checks of one task (all of them when none is named)."""
    folders = itertools.count()

    def run(source: str, task_name: str, *check_names: str, **siblings: str) -> dict[str, CheckResult]:
        folder = tmp_path / f"submission{next(folders)}"
        folder.mkdir()
        for name, text in {MODULE: source, **siblings}.items():
            (folder / f"{name}.py").write_text(textwrap.dedent(text))
        exercise = registry.get(MODULE)
        task = exercise.task(task_name)
        chosen = [c for c in task.checks if not check_names or c.name in check_names]
        assert len(chosen) == (len(check_names) or len(task.checks)), check_names
        runner = Runner(InProcessTarget(folder), TEST_SETTINGS)
        return {c.name: runner.run_check(exercise, task, c) for c in chosen}

    return run


def mutant(*edits: tuple[str, str]) -> str:
    """The model answer with each (old, new) edit applied; each old text must occur exactly once."""
    source = SOLUTION
    for old, new in edits:
        assert source.count(old) == 1, f"edit target not unique in the solution: {old!r}"
        source = source.replace(old, new)
    return source


def assert_fails(result: CheckResult, *fragments: str) -> None:
    assert result.status != "passed" and result.points == 0, result
    for fragment in fragments:
        assert fragment in result.message, (fragment, result.message)


# --- the reference and the drawn configurations --------------------------------------------------

@pytest.mark.filterwarnings("ignore:Using padding='same'")
@DRAWS
@given(conv2d_calls())
def test_reference_is_what_nn_conv2d_computes(call) -> None:
    """For every padding mode, "same" included, the reference (F.pad in the mode, then a valid
    F.conv2d) is nn.Conv2d's own forward with the same weight and bias."""
    x, weight = call.args
    options = dict(call.kwargs)
    bias = options.pop("bias", None)
    out_channels, per_group, kh, kw = weight.shape
    groups = options.get("groups", 1)
    layer = torch.nn.Conv2d(per_group * groups, out_channels, (kh, kw), bias=bias is not None,
                            dtype=torch.float64, **options)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(bias)
        expected = layer(x)
    assert torch.equal(reference_conv2d(x, weight, bias, **options), expected)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("mode", PADDING_MODES)
def test_same_puts_the_extra_pixel_of_an_even_kernel_after_in_every_mode(mode: str) -> None:
    x = torch.arange(12.0, dtype=torch.float64).reshape(1, 1, 3, 4)
    layer = torch.nn.Conv2d(1, 1, 2, padding="same", padding_mode=mode, bias=False, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.zero_()
        layer.weight[0, 0, 0, 0] = 1.0  # each output reads its window's top-left pixel
        assert torch.equal(layer(x), x)  # no shift: the padding went after (bottom, right)
    assert torch.equal(reference_conv2d(x, layer.weight.detach(), padding="same", padding_mode=mode), x)


def test_drawn_conv2d_calls_are_valid_small_and_cover_the_parameter_space() -> None:
    seen: set[str] = set()

    @DRAWS
    @given(conv2d_calls())
    def draw(call) -> None:
        x, weight = call.args
        out = reference_conv2d(x, weight, **call.kwargs)  # valid by construction: never raises
        assert out.numel() > 0 and x.shape[-1] <= 6 and x.shape[-2] <= 6 and weight.shape[0] <= 4
        assert x.dim() == 3 or x.shape[0] <= 2
        o = call.kwargs
        seen.add("unbatched" if x.dim() == 3 else "batched")
        seen.add(f"mode {o.get('padding_mode', 'zeros')}")
        seen.add(f"padding {o['padding']}" if isinstance(o.get("padding"), str) else "padding number")
        if o.get("padding") == "same" and "padding_mode" in o:
            seen.add("same with a padding mode")
        groups = o.get("groups", 1)
        if groups > 1:
            seen.add("depthwise" if weight.shape[1] == 1 else "groups of several channels")
            if weight.shape[0] > x.shape[-3]:
                seen.add("channel multiplier")
        seen.update(f"{name} pair" for name in ("stride", "padding", "dilation") if isinstance(o.get(name), tuple))
        if x.shape[-1] != x.shape[-2]:
            seen.add("H != W")
        if 1 in x.shape[-2:]:
            seen.add("a side of 1")
        if "bias" in o:
            seen.add("bias")

    draw()
    wanted = {"batched", "unbatched", *(f"mode {m}" for m in PADDING_MODES), "padding same", "padding valid",
              "padding number", "same with a padding mode", "depthwise", "groups of several channels",
              "channel multiplier", "stride pair", "padding pair", "dilation pair", "H != W", "a side of 1", "bias"}
    assert wanted <= seen, wanted - seen


def test_drawn_im2col_and_backward_calls_are_valid() -> None:
    @DRAWS
    @given(im2col_calls(), backward_calls(), backward_calls(batched=False))
    def draw(im2col_call, backward_call, unbatched_call) -> None:
        assert reference_im2col(*im2col_call.args, **im2col_call.kwargs).shape[-1] > 0
        for call, dims in ((backward_call, 4), (unbatched_call, 3)):
            grad_input, _, _ = reference_conv2d_backward(*call.args, **call.kwargs)
            assert grad_input.dim() == dims and grad_input.shape == call.args[1].shape
            assert max(call.args[1].shape[-2:]) <= 6 and call.args[0].shape[-3] <= 4

    draw()


# --- classic mistakes: each fails the check meant for it --------------------------------------------

# (id, edits of the model answer, fragments of the message, a check that must still pass). Where the
# mistake is catalogued, the message must name it: the catalogue recognises real code, not only itself.
CONV2D_MISTAKES = [
    ("height and width swapped",
     (("stride, dilation = pair(stride), pair(dilation)",
       "stride, dilation = pair(stride)[::-1], pair(dilation)[::-1]"),
      ("sides = [(p, p) for p in pair(padding)]", "sides = [(p, p) for p in pair(padding)[::-1]]")),
     ("(H != W, with different stride", "recognised mistake: height and width swapped"), "raises_like_torch"),
    ("padding all on one side",
     (("sides = [(p, p) for p in pair(padding)]", "sides = [(2 * p, 0) for p in pair(padding)]"),),
     ("(H != W", "recognised mistake: padding on one side only"), "raises_like_torch"),
    ("groups take interleaved channels",
     (("cols = cols.reshape(N, groups, per_group * kh * kw, Ho * Wo)",
       ("cols = cols.reshape(N, per_group, groups, kh * kw, Ho * Wo).transpose(1, 2)"
        ".reshape(N, groups, per_group * kh * kw, Ho * Wo)")),),
     ("(groups=2 with two channels per group)", "recognised mistake: groups take interleaved channels"),
     "raises_like_torch"),
    ("bias added along the batch axis",
     (("bias.reshape(1, C_out, 1, 1)", "bias.reshape(C_out, 1, 1, 1)"),),
     ("(a bias per output channel, batch of 2", "recognised mistake: bias added along the batch axis"),
     "raises_like_torch"),
    ("padding_mode ignored",
     (('if padding_mode == "zeros":\n        xp = ', 'if True:\n        xp = '),),
     ("(reflect padding)", "recognised mistake: padding_mode ignored (always zeros)"),
     None),  # every check judges values, and it no longer raises on reflect padding larger than the input
    ('"same" puts the extra pixel first',
     (("sides = [(t // 2, t - t // 2) for t in totals]", "sides = [(t - t // 2, t // 2) for t in totals]"),),
     ('(padding="same" with an even kernel)',
      'recognised mistake: "same" puts the extra pixel of an even kernel first'),
     "raises_like_torch"),
]


@pytest.mark.parametrize("edits,fragments,unaffected", [m[1:] for m in CONV2D_MISTAKES],
                         ids=[m[0] for m in CONV2D_MISTAKES])
def test_conv2d_mistake_fails_matches_torch(grade, edits, fragments, unaffected) -> None:
    results = grade(mutant(*edits), "conv2d", "matches_torch", *([unaffected] if unaffected else []))
    assert_fails(results["matches_torch"], *fragments)
    assert unaffected is None or results[unaffected].passed


@pytest.mark.parametrize("task", ["conv2d", "im2col"])
def test_stride_or_dilation_ignored_when_taking_windows_fails(grade, task) -> None:
    stride_ignored = mutant(("xp.unfold(2, span_h, sh).unfold(3, span_w, sw)",
                             "xp.unfold(2, span_h, 1).unfold(3, span_w, 1)"))
    dilation_ignored = mutant(("span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1", "span_h, span_w = kh, kw"),
                              ("[..., ::dh, ::dw]", ""))
    for source in (stride_ignored, dilation_ignored):
        result = grade(source, task, "matches_torch")["matches_torch"]
        assert_fails(result, "H != W" if task == "conv2d" else "different dilation, padding and stride")
        if task == "im2col":
            assert "has shape" in result.message  # more (or fewer) windows than torch finds


def test_conv2d_raising_the_wrong_error_type_fails_raises_like_torch(grade) -> None:
    source = mutant(('raise RuntimeError("padding=\'same\' is not supported for strided convolutions")',
                     'raise ValueError("padding=\'same\' is not supported for strided convolutions")'))
    results = grade(source, "conv2d", "raises_like_torch", "matches_torch")
    assert_fails(results["raises_like_torch"], 'raised ValueError', 'padding="same" with stride 2',
                 "torch raises RuntimeError")
    assert results["matches_torch"].passed


def test_conv2d_accepting_an_unknown_padding_mode_fails_raises_like_torch(grade) -> None:
    source = mutant(('if padding_mode not in ("zeros", "reflect", "replicate", "circular"):\n        raise ValueError(',
                     'if False:\n        raise ValueError('))
    assert_fails(grade(source, "conv2d", "raises_like_torch")["raises_like_torch"],
                 'accepted an invalid input (padding_mode="mirror"', "torch raises ValueError")


def test_conv2d_computing_in_float32_fails_keeps_float64_only(grade) -> None:
    source = mutant(('torch.einsum("ngkl,gok->ngol", cols, w)',
                     'torch.einsum("ngkl,gok->ngol", cols.float(), w.float())'))
    results = grade(source, "conv2d", "keeps_float64", "matches_torch")
    assert_fails(results["keeps_float64"], "dtype torch.float32, expected torch.float64")
    assert results["matches_torch"].passed


def test_conv2d_viewing_its_input_fails_noncontiguous_inputs_only(grade) -> None:
    source = mutant(("x = input if input.dim() == 4 else input.unsqueeze(0)",
                     ("x = input.view(input.numel()).view(input.shape)  # flattened and restored\n"
                      "    x = x if x.dim() == 4 else x.unsqueeze(0)")))
    results = grade(source, "conv2d", "noncontiguous_inputs", "matches_torch")
    assert_fails(results["noncontiguous_inputs"], "raised RuntimeError", "view")
    assert results["matches_torch"].passed


def test_conv2d_unsqueezing_the_bias_in_place_fails_inputs_unmodified_only(grade) -> None:
    source = mutant(("bias.reshape(1, C_out, 1, 1)", "bias.unsqueeze_(-1).unsqueeze_(-1)"))
    results = grade(source, "conv2d", "inputs_unmodified", "matches_torch")
    assert_fails(results["inputs_unmodified"], "modified its input in place (bias)")
    assert results["matches_torch"].passed


IM2COL_KERNEL_MAJOR = mutant(("windows.permute(0, 1, 4, 5, 2, 3)", "windows.permute(0, 4, 5, 1, 2, 3)"))


def test_im2col_rows_ordered_kernel_major_fail(grade) -> None:
    results = grade(IM2COL_KERNEL_MAJOR, "im2col", "matches_torch", "inputs_unmodified")
    assert_fails(results["matches_torch"], "(two channels and a 2x3 kernel)", "differs at",
                 "recognised mistake: rows ordered kernel-major")
    assert_fails(results["inputs_unmodified"], "differs at")  # it judges the values too


IM2COL_AS_STRIDED = """
    import torch

    def im2col(input, kernel_size, dilation=1, padding=0, stride=1):
        two = lambda v: (v, v) if isinstance(v, int) else tuple(v)
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = two(kernel_size), two(dilation), two(padding), two(stride)
        n, c, h, w = input.shape
        xp = torch.zeros(n, c, h + 2 * ph, w + 2 * pw, dtype=input.dtype, device=input.device)
        xp[:, :, ph:ph + h, pw:pw + w] = input
        H, W = xp.shape[2:]
        ho, wo = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
        s = xp.stride()
        cols = xp.as_strided((n, c, kh, kw, ho, wo), (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw))
        return cols.reshape(n, c * kh * kw, ho * wo)
"""


def test_im2col_as_strided_assuming_contiguity_fails_noncontiguous_inputs_only(grade) -> None:
    skip_the_copy = ("        s = xp.stride()\n",
                     ("        xp = input if ph == pw == 0 else xp  # no copy needed without padding\n"
                      "        s = (c * H * W, H * W, W, 1)  # the strides of a contiguous tensor\n"))
    assert IM2COL_AS_STRIDED.count(skip_the_copy[0]) == 1
    source = IM2COL_AS_STRIDED.replace(*skip_the_copy)
    results = grade(source, "im2col", "noncontiguous_inputs", "matches_torch")
    assert_fails(results["noncontiguous_inputs"], "differs at")
    assert results["matches_torch"].passed


def test_im2col_in_the_default_dtype_fails_keeps_float64_only(grade) -> None:
    source = mutant(("xp = input.new_zeros(N, C, H + 2 * ph, W + 2 * pw)",
                     "xp = torch.zeros(N, C, H + 2 * ph, W + 2 * pw)"))
    results = grade(source, "im2col", "keeps_float64", "matches_torch")
    assert_fails(results["keeps_float64"], "dtype torch.float32, expected torch.float64")
    assert results["matches_torch"].passed


def test_im2col_replacing_its_input_with_the_padded_copy_fails_inputs_unmodified_only(grade) -> None:
    source = mutant(("    xp[..., ph:ph + H, pw:pw + W] = input\n",
                     "    xp[..., ph:ph + H, pw:pw + W] = input\n    input.data = xp\n"))
    results = grade(source, "im2col", "inputs_unmodified", "matches_torch")
    assert_fails(results["inputs_unmodified"], "modified its input in place (argument 1)")
    assert results["matches_torch"].passed


BACKWARD_MISTAKES = [
    ("= instead of += where windows overlap",
     ("grad_xp[:, :, rows, columns] += grad_cols", "grad_xp[:, :, rows, columns] = grad_cols"),
     ("result[0] differs", "(overlapping 3x3 windows, stride 1)")),
    ("grad_bias of the first sample only",
     ("grad_bias = g.sum(dim=(0, 3)).reshape(C_out)", "grad_bias = grad_output.sum(dim=(-2, -1))[0]"),
     ("result[2] differs", "batch of 2)", "recognised mistake: grad_bias of the first sample only")),
    ("grad_bias summed over channels instead of the batch",
     ("grad_bias = g.sum(dim=(0, 3)).reshape(C_out)", "grad_bias = grad_output.sum(dim=(1, 2, 3))"),
     ("result[2] has shape (2,), expected (4,)", "recognised mistake: grad_bias summed over the wrong axes")),
    ("grad_input sized by the transposed-convolution formula",
     ("grad_input = grad_xp[:, :, ph:ph + H, pw:pw + W]",
      ("grad_input = grad_xp[:, :, ph:ph + sh * (Ho - 1) + dh * (kh - 1) + 1 - 2 * ph,\n"
       "                          pw:pw + sw * (Wo - 1) + dw * (kw - 1) + 1 - 2 * pw]")),
     ("result[0] has shape (1, 1, 4, 5), expected (1, 1, 5, 6)",
      "recognised mistake: grad_input cut to the rows and columns the windows reach")),
    ("the unreached remainder put at the top and left",
     ("grad_input = grad_xp[:, :, ph:ph + H, pw:pw + W]",
      ("reach_h, reach_w = sh * (Ho - 1) + dh * (kh - 1) + 1, sw * (Wo - 1) + dw * (kw - 1) + 1\n"
       "    shifted = torch.zeros_like(grad_xp)\n"
       "    shifted[:, :, -reach_h:, -reach_w:] = grad_xp[:, :, :reach_h, :reach_w]\n"
       "    grad_input = shifted[:, :, ph:ph + H, pw:pw + W]")),
     ("result[0] differs", "(strides (2, 3) that never reach the last row and column)")),
]


@pytest.mark.parametrize("edit,fragments", [m[1:] for m in BACKWARD_MISTAKES], ids=[m[0] for m in BACKWARD_MISTAKES])
def test_backward_mistake_fails_matches_torch(grade, edit, fragments) -> None:
    assert_fails(grade(mutant(edit), "conv2d_backward", "matches_torch")["matches_torch"], *fragments)


def test_backward_in_the_default_dtype_fails_keeps_float64_only(grade) -> None:
    source = mutant(("grad_xp = x.new_zeros(N, C, H + 2 * ph, W + 2 * pw)",
                     "grad_xp = torch.zeros(N, C, H + 2 * ph, W + 2 * pw)"))
    results = grade(source, "conv2d_backward", "keeps_float64", "matches_torch")
    assert_fails(results["keeps_float64"], "result[0] has dtype torch.float32, expected torch.float64")
    assert results["matches_torch"].passed


def test_backward_viewing_grad_output_fails_noncontiguous_inputs_only(grade) -> None:
    source = mutant(("g = g.reshape(N, groups, C_out // groups, Ho * Wo)",
                     "g = g.view(N, groups, C_out // groups, Ho * Wo)"))
    results = grade(source, "conv2d_backward", "noncontiguous_inputs", "matches_torch")
    assert_fails(results["noncontiguous_inputs"], "raised RuntimeError")
    assert results["matches_torch"].passed


def test_backward_zeroing_grad_output_after_use_fails_inputs_unmodified_only(grade) -> None:
    source = mutant(("    return (grad_input if batched", "    grad_output.zero_()\n    return (grad_input if batched"))
    results = grade(source, "conv2d_backward", "inputs_unmodified", "matches_torch")
    assert_fails(results["inputs_unmodified"], "modified its input in place (argument 1)")
    assert results["matches_torch"].passed


def test_backward_for_batches_only_fails_unbatched_only(grade) -> None:
    source = mutant(("batched = input.dim() == 4", "batched = True"))
    results = grade(source, "conv2d_backward", "unbatched", "matches_torch")
    assert_fails(results["unbatched"], "(an unbatched input)", "raised")
    assert results["matches_torch"].passed


def test_backward_through_autograd_is_refused(grade) -> None:
    source = """
        import torch

        def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1):
            x = input.detach().requires_grad_()
            w = weight.detach().requires_grad_()
            windows = x.unfold(-2, weight.shape[-2], 1).unfold(-2, weight.shape[-1], 1)
            out = torch.einsum("nchwij,ocij->nohw", windows, w)
            out.backward(grad_output)
            return x.grad, w.grad, grad_output.sum(dim=(0, 2, 3))
    """
    results = grade(source, "conv2d_backward", "matches_torch", "unbatched")
    for result in results.values():
        assert result.status == "forbidden" and "autograd" in result.message


# --- correct implementations in unusual styles pass everything ---------------------------------------

SIBLING_PAD2D = """
    import torch

    def pad2d(X, padding, mode="zeros"):
        left, right, top, bottom = padding
        H, W = X.shape[-2:]
        if mode == "zeros":
            out = X.new_zeros(*X.shape[:-2], H + top + bottom, W + left + right)
            out[..., top:top + H, left:left + W] = X
            return out

        def source(n, before, after):
            index = []
            for i in range(-before, n + after):
                if mode == "reflect":
                    i = -i if i < 0 else (2 * (n - 1) - i if i >= n else i)
                elif mode == "replicate":
                    i = min(max(i, 0), n - 1)
                else:
                    i = i % n
                index.append(i)
            return torch.tensor(index, device=X.device)

        return X[..., source(H, top, bottom), :][..., source(W, left, right)]
"""

LOOPS_CONV2D = """
    import torch
    from ex03_padding_stride import pad2d

    def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
        two = lambda v: [v, v] if isinstance(v, int) else list(v)
        if padding_mode not in ["zeros", "reflect", "replicate", "circular"]:
            raise ValueError("unknown padding_mode " + str(padding_mode))
        unbatched = input.dim() == 3
        x = input[None] if unbatched else input
        n, c, h, w = x.shape
        o, cg, kh, kw = weight.shape
        if c != cg * groups or o % groups != 0:
            raise RuntimeError("input channels, weight and groups do not agree")
        if bias is not None and list(bias.shape) != [o]:
            raise RuntimeError("one bias per output channel")
        (sh, sw), (dh, dw) = two(stride), two(dilation)
        if padding == "same":
            if [sh, sw] != [1, 1]:
                raise RuntimeError("same padding needs stride 1")
            th, tw = dh * (kh - 1), dw * (kw - 1)
            pads = (tw // 2, tw - tw // 2, th // 2, th - th // 2)
        elif padding == "valid":
            pads = (0, 0, 0, 0)
        else:
            ph, pw = two(padding)
            pads = (pw, pw, ph, ph)
        if padding_mode == "reflect" and (max(pads[2:]) >= h or max(pads[:2]) >= w):
            raise RuntimeError("reflect padding must be smaller than the input")
        xp = pad2d(x.double(), pads, padding_mode)
        H, W = xp.shape[-2:]
        ho, wo = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
        if ho < 1 or wo < 1:
            raise RuntimeError("kernel larger than the padded input")
        w64 = weight.double()
        out = torch.zeros(n, o, ho, wo, dtype=torch.float64, device=x.device)
        for b in range(n):
            for oc in range(o):
                first = oc // (o // groups) * cg
                for i in range(ho):
                    for j in range(wo):
                        window = xp[b, first:first + cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                                    j * sw:j * sw + dw * (kw - 1) + 1:dw]
                        out[b, oc, i, j] = (window * w64[oc]).sum()
        if bias is not None:
            out += bias.double()[:, None, None]
        out = out.to(input.dtype)
        return out[0] if unbatched else out
"""

LOOPS_IM2COL = """
    import torch

    def im2col(input, kernel_size, dilation=1, padding=0, stride=1):
        two = lambda v: (v, v) if isinstance(v, int) else tuple(v)
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = two(kernel_size), two(dilation), two(padding), two(stride)
        n, c, h, w = input.shape
        xp = torch.zeros(n, c, h + 2 * ph, w + 2 * pw, dtype=input.dtype, device=input.device)
        xp[:, :, ph:ph + h, pw:pw + w] = input
        ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        rows = []
        for i in range(kh):
            for j in range(kw):
                part = xp[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]
                rows.append(part.reshape(n, c, ho * wo))
        return torch.stack(rows, dim=2).reshape(n, c * kh * kw, ho * wo)
"""

LOOPS_BACKWARD = """
    import torch

    def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1):
        two = lambda v: (v, v) if isinstance(v, int) else tuple(v)
        (sh, sw), (ph, pw), (dh, dw) = two(stride), two(padding), two(dilation)
        unbatched = input.dim() == 3
        x = (input[None] if unbatched else input).double()
        g = (grad_output[None] if unbatched else grad_output).double()
        w64 = weight.double()
        n, c, h, w = x.shape
        o, cg, kh, kw = weight.shape
        ho, wo = g.shape[-2:]
        xp = torch.zeros(n, c, h + 2 * ph, w + 2 * pw, dtype=torch.float64, device=x.device)
        xp[:, :, ph:ph + h, pw:pw + w] = x
        gxp = torch.zeros_like(xp)
        gw = torch.zeros_like(w64)
        for b in range(n):
            for oc in range(o):
                chans = slice(oc // (o // groups) * cg, oc // (o // groups) * cg + cg)
                for i in range(ho):
                    for j in range(wo):
                        rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                        cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                        gxp[b, chans, rows, cols] += g[b, oc, i, j] * w64[oc]
                        gw[oc] += g[b, oc, i, j] * xp[b, chans, rows, cols]
        gx = gxp[:, :, ph:ph + h, pw:pw + w]
        gx = gx[0] if unbatched else gx
        return [gx.to(input.dtype), gw.to(input.dtype), g.sum(dim=(0, 2, 3)).to(input.dtype)]
"""

TRANSPOSED_BACKWARD = """
    import torch

    def _pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    def _windows(t, kh, kw, sh, sw, dh, dw):
        return t.unfold(-2, dh * (kh - 1) + 1, sh).unfold(-2, dw * (kw - 1) + 1, sw)[..., ::dh, ::dw]

    def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1):
        # grad_input as a transposed convolution: spread grad_output out by the stride, pad it
        # fully (plus the rows and columns the last window never reached), correlate with the
        # flipped kernel
        (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
        squeeze = input.dim() == 3
        x = input.unsqueeze(0) if squeeze else input
        g = grad_output.unsqueeze(0) if squeeze else grad_output
        n, c, h, w = x.shape
        o, cg, kh, kw = weight.shape
        og = o // groups
        ho, wo = g.shape[-2:]
        span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
        rest_h = h + 2 * ph - span_h - sh * (ho - 1)
        rest_w = w + 2 * pw - span_w - sw * (wo - 1)
        spread = g.new_zeros(n, o, span_h - 1 + sh * (ho - 1) + 1 + span_h - 1 + rest_h,
                             span_w - 1 + sw * (wo - 1) + 1 + span_w - 1 + rest_w)
        spread[:, :, span_h - 1:span_h - 1 + sh * (ho - 1) + 1:sh, span_w - 1:span_w - 1 + sw * (wo - 1) + 1:sw] = g
        flipped = weight.flip(-2, -1)
        back = _windows(spread, kh, kw, 1, 1, dh, dw)  # (n, o, h + 2ph, w + 2pw, kh, kw)
        parts = [torch.einsum("nohwij,ocij->nchw", back[:, k * og:(k + 1) * og], flipped[k * og:(k + 1) * og])
                 for k in range(groups)]
        grad_input = torch.cat(parts, dim=1)[:, :, ph:ph + h, pw:pw + w]

        xp = x.new_zeros(n, c, h + 2 * ph, w + 2 * pw)
        xp[:, :, ph:ph + h, pw:pw + w] = x
        win = _windows(xp, kh, kw, sh, sw, dh, dw)  # (n, c, ho, wo, kh, kw)
        grad_weight = torch.cat([torch.einsum("nchwij,nohw->ocij", win[:, k * cg:(k + 1) * cg],
                                              g[:, k * og:(k + 1) * og]) for k in range(groups)])
        return (grad_input[0] if squeeze else grad_input), grad_weight, g.sum(dim=(0, 2, 3))
"""

CORRECT = [
    ("conv2d: loops over pixels in float64, padding from a sibling ex03 file", "conv2d", LOOPS_CONV2D,
     {"ex03_padding_stride": SIBLING_PAD2D}),
    ("im2col: one strided slice per kernel offset, stacked", "im2col", LOOPS_IM2COL, {}),
    ("im2col: as_strided on the padded copy, with its own strides", "im2col", IM2COL_AS_STRIDED, {}),
    ("backward: loops scattering each output gradient, returns a list", "conv2d_backward", LOOPS_BACKWARD, {}),
    ("backward: grad_input as a transposed convolution with the flipped kernel", "conv2d_backward",
     TRANSPOSED_BACKWARD, {}),
]


@pytest.mark.parametrize("task,source,siblings", [c[1:] for c in CORRECT], ids=[c[0] for c in CORRECT])
def test_correct_unusual_implementation_passes_everything(grade, task, source, siblings) -> None:
    results = grade(source, task, **siblings)
    assert all(r.passed for r in results.values()), {k: r.message for k, r in results.items() if not r.passed}
