"""ex07 (transposed convolution): classic mistakes, each failing the check meant for it, and
correct implementations in unusual styles, passing everything."""

from __future__ import annotations

import ast
import textwrap

import pytest

from grader.catalog.ex07_transposed import bound_arguments
from grader.engine import registry
from tests.conftest import failed, solution_source

MODULE = "ex07_transposed"
TASKS = ("conv_matrix", "trans_conv2d", "conv_transpose2d")


def keys(task: str) -> set[str]:
    return {f"{task}[{c.name}]" for c in registry.get(MODULE).task(task).checks}


def model_function(name: str, *edits: tuple[str, str]) -> str:
    """The model answer's imports and its function ``name`` alone, with each (old, new) edit
    applied to it (each ``old`` must occur exactly once)."""
    source = solution_source(MODULE)
    tree = ast.parse(source)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    first_def = min(n.lineno for n in tree.body if isinstance(n, ast.FunctionDef))
    prelude = "\n".join(source.splitlines()[:first_def - 1])
    body = ast.get_source_segment(source, function)
    for old, new in edits:
        assert body.count(old) == 1, old
        body = body.replace(old, new)
    return f"{prelude}\n\n{body}\n"


# --- classic mistakes: (name, source, the check that must fail, a check that must still pass or None when
# every check judges the wrong values) ------------------------------------------------------------------

MISTAKES = [
    ("C transposed", """
        import torch
        def conv_matrix(K, input_shape):
            h, w = input_shape
            kh, kw = K.shape
            C = torch.zeros(h, w, h - kh + 1, w - kw + 1, dtype=K.dtype)
            for i in range(h - kh + 1):
                for j in range(w - kw + 1):
                    C[i:i + kh, j:j + kw, i, j] = K
            return C.reshape(h * w, -1)
        """, "conv_matrix[matches_torch]", None),
    ("C with the kernel flipped", model_function("conv_matrix", ("kw] = K", "kw] = K.flip(0, 1)")),
     "conv_matrix[product_is_conv2d]", None),
    ("C with rows and columns of the input swapped", """
        import torch
        def conv_matrix(K, input_shape):
            h, w = input_shape
            kh, kw = K.shape
            oh, ow = h - kh + 1, w - kw + 1
            C = torch.zeros(oh * ow, h * w, dtype=K.dtype)
            for i in range(oh):
                for j in range(ow):
                    for a in range(kh):
                        for b in range(kw):
                            C[i * ow + j, (j + b) * h + (i + a)] = K[a, b]
            return C
        """, "conv_matrix[transpose_is_conv_transpose2d]", None),
    ("C in the default dtype", model_function("conv_matrix", ("dtype=K.dtype, ", "")),
     "conv_matrix[keeps_float64]", "conv_matrix[matches_torch]"),
    ("kernel flattened with view", """
        import torch
        def conv_matrix(K, input_shape):
            h, w = input_shape
            kh, kw = K.shape
            oh, ow = h - kh + 1, w - kw + 1
            cols = (torch.arange(kh)[:, None] * w + torch.arange(kw)).reshape(-1)
            C = torch.zeros(oh * ow, h * w, dtype=K.dtype)
            for i in range(oh):
                for j in range(ow):
                    C[i * ow + j, cols + i * w + j] = K.view(-1)
            return C
        """, "conv_matrix[noncontiguous_inputs]", "conv_matrix[matches_torch]"),
    ("kernel flattened with resize_", """
        import torch
        def conv_matrix(K, input_shape):
            h, w = input_shape
            kh, kw = K.shape
            oh, ow = h - kh + 1, w - kw + 1
            cols = (torch.arange(kh)[:, None] * w + torch.arange(kw)).reshape(-1)
            flat = K.resize_(kh * kw)
            C = torch.zeros(oh * ow, h * w, dtype=K.dtype)
            for i in range(oh):
                for j in range(ow):
                    C[i * ow + j, cols + i * w + j] = flat
            return C
        """, "conv_matrix[inputs_unmodified]", "conv_matrix[matches_torch]"),
    ("= instead of += where windows overlap", model_function("trans_conv2d", ("] += Y", "] = Y")),
     "trans_conv2d[matches_torch]", None),
    ("trans_conv2d with the kernel flipped",
     model_function("trans_conv2d", ("+= Y[i, j] * K", "+= Y[i, j] * K.flip(0, 1)")),
     "trans_conv2d[matches_torch]", None),
    ("trans_conv2d in the default dtype", model_function("trans_conv2d", ("dtype=Y.dtype, ", "")),
     "trans_conv2d[keeps_float64]", "trans_conv2d[matches_torch]"),
    ("trans_conv2d walking a view of Y", """
        import torch
        def trans_conv2d(Y, K):
            h, w = Y.shape
            kh, kw = K.shape
            Z = torch.zeros(h + kh - 1, w + kw - 1, dtype=Y.dtype)
            for n, y in enumerate(Y.view(-1)):
                i, j = divmod(n, w)
                Z[i:i + kh, j:j + kw] += y * K
            return Z
        """, "trans_conv2d[noncontiguous_inputs]", "trans_conv2d[matches_torch]"),
    ("trans_conv2d broadcasting with unsqueeze_", """
        import torch
        def trans_conv2d(Y, K):
            h, w = Y.shape
            kh, kw = K.shape
            P = Y.unsqueeze_(-1).unsqueeze_(-1) * K
            Z = torch.zeros(h + kh - 1, w + kw - 1, dtype=Y.dtype)
            for i in range(h):
                for j in range(w):
                    Z[i:i + kh, j:j + kw] += P[i, j]
            return Z
        """, "trans_conv2d[inputs_unmodified]", "trans_conv2d[matches_torch]"),
    ("= instead of += where kernel taps overlap", model_function("conv_transpose2d", ("] += tap", "] = tap")),
     "conv_transpose2d[adjoint_of_conv2d]", "conv_transpose2d[raises_like_torch]"),
    ("padding cropped from one side only", model_function(
        "conv_transpose2d", ("full[..., ph:ph + h_out, pw:pw + w_out]", "full[..., :h_out, :w_out]")),
     "conv_transpose2d[adjoint_of_conv2d]", "conv_transpose2d[raises_like_torch]"),
    ("output_padding ignored", model_function("conv_transpose2d", ("+ 1 + oph", "+ 1"), ("+ 1 + opw", "+ 1")),
     "conv_transpose2d[matches_torch]", "conv_transpose2d[raises_like_torch]"),
    ("stride ignored", model_function("conv_transpose2d", ("map(pair, (stride,", "map(pair, (1,")),
     "conv_transpose2d[matches_torch]", "conv_transpose2d[raises_like_torch]"),
    ("weight flipped", model_function("conv_transpose2d", ("wg[..., a, b]", "wg[..., kh - 1 - a, kw - 1 - b]")),
     "conv_transpose2d[adjoint_of_conv2d]", "conv_transpose2d[raises_like_torch]"),
    ("groups ignored", model_function("conv_transpose2d", ("    xg = x.reshape", "    groups = 1\n    xg = x.reshape")),
     "conv_transpose2d[matches_torch]", "conv_transpose2d[raises_like_torch]"),
    ("output channels of the groups interleaved", model_function(
        "conv_transpose2d", ("pw:pw + w_out].reshape", "pw:pw + w_out].transpose(1, 2).reshape")),
     "conv_transpose2d[matches_torch]", "conv_transpose2d[raises_like_torch]"),
    ("bias on the batch axis", model_function("conv_transpose2d", ("bias[:, None, None]", "bias[:, None, None, None]")),
     "conv_transpose2d[matches_torch]", "conv_transpose2d[adjoint_of_conv2d]"),
    ("output_padding checked against the stride only", model_function(
        "conv_transpose2d", ("if op >= s and op >= d:", "if op >= s:")),
     "conv_transpose2d[matches_torch]", "conv_transpose2d[raises_like_torch]"),
    ("output_padding not checked", model_function(
        "conv_transpose2d", ("if op >= s and op >= d:", "if False:")),
     "conv_transpose2d[raises_like_torch]", "conv_transpose2d[matches_torch]"),
    ("ValueError where torch raises RuntimeError", model_function(
        "conv_transpose2d", ('raise RuntimeError(f"output_padding', 'raise ValueError(f"output_padding')),
     "conv_transpose2d[raises_like_torch]", "conv_transpose2d[adjoint_of_conv2d]"),
    ("canvas in the default dtype", model_function("conv_transpose2d", ("dtype=input.dtype, ", "")),
     "conv_transpose2d[keeps_float64]", "conv_transpose2d[matches_torch]"),
    ("pixels flattened with view", model_function("conv_transpose2d", (
        'tap = torch.einsum("ngchw,gco->ngohw", xg, wg[..., a, b])',
        ('tap = torch.einsum("ngcp,gco->ngop", xg.view(n, groups, -1, h * w), wg[..., a, b])'
         '.reshape(n, groups, -1, h, w)'))),
     "conv_transpose2d[noncontiguous_inputs]", "conv_transpose2d[matches_torch]"),
    ("unsqueeze_ on an unbatched input", model_function(
        "conv_transpose2d", ("x = input[None] if unbatched", "x = input.unsqueeze_(0) if unbatched")),
     "conv_transpose2d[inputs_unmodified]", "conv_transpose2d[matches_torch]"),
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


def mistake(name: str) -> str:
    return next(m[1] for m in MISTAKES if m[0] == name)


def test_conv_matrix_messages(grade_source) -> None:
    transposed = grade_source(MODULE, mistake("C transposed"))
    assert keys("conv_matrix") <= failed(transposed)
    shape = transposed["conv_matrix[product_is_conv2d]"].message
    assert shape.startswith("conv_matrix: result has shape") and "expected (" in shape
    assert "recognised mistake: C transposed (one row per input pixel)" in shape
    flipped = grade_source(MODULE, mistake("C with the kernel flipped"))
    for check, what in (("product_is_conv2d", "C @ x.flatten(), reshaped, is not conv2d(x, K)"),
                        ("transpose_is_conv_transpose2d",
                         "C.T @ y.flatten(), reshaped, is not conv_transpose2d(y, K)")):
        message = flipped[f"conv_matrix[{check}]"].message
        assert message.startswith(what), message
        assert ("\ny = " if "transpose" in check else "\nx = ") in message  # the probe is shown
    exact = flipped["conv_matrix[matches_torch]"].message
    assert "the notes' 4x4 input and 3x3 kernel" in exact and "recognised mistake: kernel flipped" in exact


def test_overlap_mistake_is_shown_on_the_overlapping_example(grade_source) -> None:
    result = grade_source(MODULE, mistake("= instead of += where windows overlap"))["trans_conv2d[matches_torch]"]
    assert result.failure.call.label == "2x2 windows that overlap"
    assert "worst at [2, 1]: expected 12, got 6" in result.message  # 3 * K[1, 0] overwrote 2 * K[1, 1]
    assert "recognised mistake: = instead of += where windows overlap" in result.message


def test_adjoint_message_shows_both_inner_products(grade_source) -> None:
    results = grade_source(MODULE, mistake("padding cropped from one side only"))
    message = results["conv_transpose2d[adjoint_of_conv2d]"].message
    exact = results["conv_transpose2d[matches_torch]"].message
    assert "recognised mistake: padding cropped from one side only" in exact
    assert "is not the adjoint of conv2d: <conv2d(x, w), y> = " in message and "\nx = Tensor[" in message
    call = results["conv_transpose2d[adjoint_of_conv2d]"].failure.call
    assert call.label.startswith("every argument positional")  # a pinned example, with padding (1, 0)
    assert call.args[2] is None  # its bias is left out of the identity


def test_adjoint_counterexample_found_by_drawing_is_small(grade_source) -> None:
    # no pinned example pads the width, so only drawn inputs show this one
    source = model_function("conv_transpose2d",
                            ("full[..., ph:ph + h_out, pw:pw + w_out]", "full[..., ph:ph + h_out, :w_out]"))
    result = grade_source(MODULE, source)["conv_transpose2d[adjoint_of_conv2d]"]
    call = result.failure.call
    assert result.status == "failed" and call.label == ""
    padding = bound_arguments(*call.args, **call.kwargs)["padding"]
    assert padding in ((0, 1), (0, 2)) and call.args[0].numel() <= 8, call


def test_error_messages_name_torchs_exception(grade_source) -> None:
    unchecked = grade_source(MODULE, mistake("output_padding not checked"))["conv_transpose2d[raises_like_torch]"]
    assert "accepted an invalid input (output_padding 1 with stride 1 and dilation 1); torch raises RuntimeError" \
        in unchecked.message
    value_error = grade_source(MODULE, mistake("ValueError where torch raises RuntimeError"))
    assert "raised ValueError for output_padding" in value_error["conv_transpose2d[raises_like_torch]"].message


# --- correct implementations in unusual styles ---------------------------------------------------

UNUSUAL_CONV_MATRIX_AND_TRANS = """
    import torch
    def conv_matrix(K, input_shape):
        h, w = torch.Size(input_shape)
        kh, kw = K.shape
        basis = torch.eye(h * w, dtype=torch.float64, device=K.device).reshape(h * w, h, w)
        windows = basis.unfold(1, kh, 1).unfold(2, kw, 1)  # (h*w, oh, ow, kh, kw)
        return torch.einsum("pijab,ab->ijp", windows, K.double()).reshape(-1, h * w).to(K.dtype)
    def trans_conv2d(Y, K):
        # a full convolution is symmetric in its two operands: scatter Y over the kernel's taps
        h, w = Y.shape
        kh, kw = K.shape
        Z = Y.new_zeros(h + kh - 1, w + kw - 1)
        for a in range(kh):
            for b in range(kw):
                Z[a:a + h, b:b + w] += K[a, b] * Y
        return Z
"""

UNUSUAL_THROUGH_C_TRANSPOSE = """
    import torch
    def conv_matrix(K, input_shape):
        h, w = input_shape[0], input_shape[1]
        kh, kw = K.shape
        oh, ow = h - kh + 1, w - kw + 1
        rows = torch.arange(oh * ow).repeat_interleave(kh * kw)
        i, j = rows // ow, rows % ow
        a = torch.arange(kh).repeat_interleave(kw).repeat(oh * ow)
        b = torch.arange(kw).repeat(kh * oh * ow)
        C = K.new_zeros(oh * ow, h * w)
        C[rows, (i + a) * w + (j + b)] = K.reshape(-1).repeat(oh * ow)
        return C
    def trans_conv2d(Y, K):
        h, w = Y.shape
        shape = (h + K.shape[0] - 1, w + K.shape[1] - 1)
        return (conv_matrix(K, shape).T @ Y.reshape(-1)).reshape(shape)
"""

UNUSUAL_ZERO_INSERTION = """
    import torch
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)
    def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        # zero insertion: spread the input `stride` apart, pad by dilation*(k-1) - padding (cropping where
        # that is negative, adding output_padding at the end), then cross-correlate with the kernel flipped
        # and its two channel axes swapped inside each group
        (sh, sw), (ph, pw), (oh, ow), (dh, dw) = (pair(v) for v in (stride, padding, output_padding, dilation))
        squeeze = input.dim() == 3
        x = input.unsqueeze(0) if squeeze else input
        n, c_in, h, w = x.shape
        if c_in % groups or weight.shape[0] != c_in:
            raise RuntimeError("bad channels")
        if (oh >= sh and oh >= dh) or (ow >= sw and ow >= dw):
            raise RuntimeError("bad output_padding")
        kh, kw = weight.shape[2:]
        c_out = weight.shape[1] * groups
        sh_, sw_ = (h - 1) * sh + 1, (w - 1) * sw + 1
        spread = x.new_zeros(n, c_in, sh_, sw_)
        spread[:, :, ::sh, ::sw] = x
        top, left = dh * (kh - 1) - ph, dw * (kw - 1) - pw
        H, W = sh_ + 2 * top + oh, sw_ + 2 * left + ow
        r_lo, r_hi = max(0, -top), min(sh_, H - top)  # the rows and columns of spread that stay
        c_lo, c_hi = max(0, -left), min(sw_, W - left)
        padded = x.new_zeros(n, c_in, H, W)
        padded[:, :, r_lo + top:r_hi + top, c_lo + left:c_hi + left] = spread[:, :, r_lo:r_hi, c_lo:c_hi]
        k = weight.flip(2, 3).reshape(groups, c_in // groups, -1, kh, kw).transpose(1, 2)  # (g, o, c, kh, kw)
        out_h, out_w = H - dh * (kh - 1), W - dw * (kw - 1)
        out = torch.zeros(n, c_out, out_h, out_w, dtype=torch.float64, device=input.device)
        cg, og = c_in // groups, c_out // groups
        for g in range(groups):
            xs = padded[:, g * cg:(g + 1) * cg].double()
            for a in range(kh):
                for b in range(kw):
                    patch = xs[:, :, a * dh:a * dh + out_h, b * dw:b * dw + out_w]
                    out[:, g * og:(g + 1) * og] += torch.einsum("nchw,oc->nohw", patch, k[g, :, :, a, b].double())
        if bias is not None:
            out += bias.double().view(1, -1, 1, 1)
        out = out.to(input.dtype)
        return out[0] if squeeze else out
"""

UNUSUAL_PIXEL_SCATTER = """
    import torch
    def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        # one input pixel at a time, every channel of its group at once, into a padded canvas
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        oph, opw = (output_padding,) * 2 if isinstance(output_padding, int) else output_padding
        dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
        if input.dim() == 3:
            return conv_transpose2d(input[None], weight, bias, stride, padding, output_padding, groups, dilation)[0]
        if input.shape[1] % groups or weight.shape[0] != input.shape[1]:
            raise RuntimeError("channels")
        if (oph >= sh and oph >= dh) or (opw >= sw and opw >= dw):
            raise RuntimeError("output_padding")
        n, c_in, h, w = input.shape
        og, kh, kw = weight.shape[1:]
        H = (h - 1) * sh + dh * (kh - 1) + 1 + oph
        W = (w - 1) * sw + dw * (kw - 1) + 1 + opw
        canvas = input.new_zeros(n, og * groups, H, W)
        for b in range(n):
            for c in range(c_in):
                g = c // (c_in // groups)
                for i in range(h):
                    for j in range(w):
                        canvas[b, g * og:(g + 1) * og, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                               j * sw:j * sw + dw * (kw - 1) + 1:dw] += input[b, c, i, j] * weight[c]
        out = canvas[:, :, ph:H - ph, pw:W - pw]
        return out if bias is None else out + bias.reshape(-1, 1, 1)
"""


@pytest.mark.parametrize("source, tasks", [
    (UNUSUAL_CONV_MATRIX_AND_TRANS, ("conv_matrix", "trans_conv2d")),
    (UNUSUAL_THROUGH_C_TRANSPOSE, ("conv_matrix", "trans_conv2d")),
    (UNUSUAL_ZERO_INSERTION, ("conv_transpose2d",)),
    (UNUSUAL_PIXEL_SCATTER, ("conv_transpose2d",)),
], ids=["eye-unfold C, scatter over kernel taps", "index-built C, trans_conv2d as C.T",
        "zero insertion and flipped kernel", "pixel-by-pixel scatter"])
def test_unusual_but_correct_passes_everything(grade_source, source: str, tasks: tuple[str, ...]) -> None:
    results = grade_source(MODULE, textwrap.dedent(source))
    graded = set().union(*(keys(t) for t in tasks))
    assert graded <= set(results)
    assert not failed(results) & graded, {k: results[k].message for k in failed(results) & graded}
