"""The notes' claims about transposed convolution: a convolution is a sparse matrix C (a [4, 16]
one for a 4x4 input and a 3x3 kernel), the transposed convolution is C^T, the backward of a
convolution is a transposed convolution, and what that makes of sizes and output_padding.

``notes_conv_matrix`` builds C the way the notes describe it; ``transposed_size`` and
``needed_output_padding`` are the size formulas the claims rest on. The verifiers look them up
at call time.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.engine import strategies
from grader.ledger import measure
from grader.ledger.claims.shapes import Size, torch_h_out
from grader.ledger.record import Claim, Evidence, Verdict
from grader.ledger.search import Config, half_integers, hunt, hunted, integers, proof, seeded_tensor, split
from grader.outputs.feedback import matrix_lines, summary


def notes_conv_matrix(K: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """C of the notes: one row per output pixel (row-major), holding the kernel's entries at the
    columns of the input pixels its window covers; C @ X.flatten() is the valid convolution."""
    kh, kw = K.shape
    oh, ow = h - kh + 1, w - kw + 1
    C = torch.zeros(oh * ow, h * w, dtype=K.dtype)
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                C[i * ow + j, (i + a) * w + j: (i + a) * w + j + kw] = K[a]
    return C


def transposed_size(n: Size, k: Size, s: Size = 1, p: Size = 0, output_padding: Size = 0, d: Size = 1) -> Size:
    """The output size of a transposed convolution: (n-1)s - 2p + d(k-1) + output_padding + 1."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def needed_output_padding(n: Size, k: Size, s: Size = 1, p: Size = 0, d: Size = 1) -> Size:
    """The output_padding that makes a transposed convolution give back the size n that a
    convolution with the same k, s, p, d shrank: the rows the strided windows skipped,
    (n + 2p - d(k-1) - 1) mod s."""
    return (n + 2 * p - d * (k - 1) - 1) % s


@st.composite
def image_and_kernel(draw: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """X (H, W) and K (kh, kw) with kh <= H, kw <= W, sides drawn independently."""
    kh, kw = draw(strategies.pairs(strategies.kernel_sides()))
    h, w = draw(st.integers(kh, kh + 5)), draw(st.integers(kw, kw + 5))
    return draw(seeded_tensor((h, w))), draw(seeded_tensor((kh, kw)))


def matrix_differs(example: tuple[torch.Tensor, torch.Tensor]) -> str | None:
    X, K = example
    (h, w), (kh, kw) = X.shape, K.shape
    C = notes_conv_matrix(K, h, w)
    if C.shape != ((h - kh + 1) * (w - kw + 1), h * w):
        return f"C has shape {tuple(C.shape)}"
    conv = F.conv2d(X[None, None], K[None, None]).flatten()
    return None if torch.allclose(C @ X.flatten(), conv, rtol=0, atol=1e-9) else "C @ X differs from the convolution"


def verify_conv_matrix() -> Verdict:
    K = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(3, 3)
    C = notes_conv_matrix(K, 4, 4)
    nonzero = sorted({int(n) for n in (C != 0).sum(dim=1)})
    notes_case = Evidence("torch", f"n = 4, f = 3: C has shape {list(C.shape)}, {', '.join(map(str, nonzero))} of "
                          f"{C.shape[1]} entries non-zero in every row; C @ X is [{C.shape[0]}] = the 2x2 output "
                          "flattened", detail="\n".join(matrix_lines(C)))
    if list(C.shape) != [4, 16]:
        return Verdict("refuted", (notes_case,), counterexample=f"n = 4, f = 3 gives C of shape {list(C.shape)}")
    found = hunt(image_and_kernel(), matrix_differs)
    return hunted(found, "C @ X.flatten() against conv2d(X, K).flatten() (X up to 9x9, K up to 4x4, "
                  "non-square)", lambda e: f"X {summary(e[0])}, K {summary(e[1])}", extra=(notes_case,))


@st.composite
def output_and_kernel(draw: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Y (h', w'), the output of a valid convolution, and its kernel K (kh, kw)."""
    kh, kw = draw(strategies.pairs(strategies.kernel_sides()))
    h, w = draw(strategies.pairs(strategies.sizes(1, 5)))
    return draw(seeded_tensor((h, w))), draw(seeded_tensor((kh, kw)))


def transpose_differs(example: tuple[torch.Tensor, torch.Tensor]) -> str | None:
    Y, K = example
    (oh, ow), (kh, kw) = Y.shape, K.shape
    h, w = oh + kh - 1, ow + kw - 1
    by_matrix = (notes_conv_matrix(K, h, w).T @ Y.flatten()).reshape(h, w)
    transposed = F.conv_transpose2d(Y[None, None], K[None, None])[0, 0]
    if transposed.shape != by_matrix.shape:
        return f"conv_transpose2d gives shape {tuple(transposed.shape)}, C^T Y {tuple(by_matrix.shape)}"
    return None if torch.allclose(transposed, by_matrix, rtol=0, atol=1e-9) else "the values differ"


def verify_transposed_is_ct() -> Verdict:
    found = hunt(output_and_kernel(), transpose_differs)
    return hunted(found, "conv_transpose2d(Y, K) against C^T @ Y.flatten() reshaped to (h'+kh-1, w'+kw-1)",
                  lambda e: f"Y {summary(e[0])}, K {summary(e[1])}")


@st.composite
def nonzero_kernel_and_input(draw: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """X (H, W) and K (kh, kw), sides 1–3, with entries that shrink towards small values; the
    kernel's entries are positive (a zero kernel would make the claim trivially false). Two
    separate draws for kh and kw: hypothesis shrinks them in far fewer steps than a pair."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh, 3)), draw(st.integers(kw, 3))
    return draw(half_integers((h, w))), draw(half_integers((kh, kw), low=0.5))


def not_inverted(example: tuple[torch.Tensor, torch.Tensor]) -> str | None:
    X, K = example
    back = F.conv_transpose2d(F.conv2d(X[None, None], K[None, None]), K[None, None])[0, 0]
    if back.shape != X.shape:
        return f"the shape comes back as {tuple(back.shape)}"
    if torch.allclose(back, X, rtol=0, atol=1e-9):
        return None
    return f"C^T C X = {matrix_lines(back)[0] if back.numel() == 1 else 'a different matrix'}, not X"


def verify_transposed_inverts() -> Verdict:
    found = hunt(nonzero_kernel_and_input(), not_inverted)
    n, k = integers("n", "k")
    return hunted(found, "conv_transpose2d(conv2d(X, K), K) against X (kernels with positive entries, sides 1–3)",
                  lambda e: f"X = {matrix_lines(e[0])[0] if e[0].numel() == 1 else summary(e[0])}, "
                  f"K = {matrix_lines(e[1])[0] if e[1].numel() == 1 else summary(e[1])}",
                  extra=(proof("the shape does come back (the transposed size of n-k+1 outputs)",
                               transposed_size(torch_h_out(n, k), k), n),))


@st.composite
def strided_convolution(draw: Any) -> dict[str, Any]:
    """A batched convolution with channels, groups, strides, paddings and dilations (all (h, w)
    pairs drawn independently), an input leaving at least one output, and an upstream gradient."""
    g = draw(st.integers(1, 2))
    c_in, c_out = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    k, s = draw(strategies.pairs(strategies.kernel_sides())), draw(strategies.pairs(strategies.strides()))
    p, d = draw(strategies.pairs(st.integers(0, 2))), draw(strategies.pairs(st.integers(1, 2)))
    hw = tuple(draw(strategies.input_side(k[i], s[i], p[i], d[i], extra=3)) for i in range(2))
    n = draw(strategies.batches())
    x = draw(seeded_tensor((n, c_in, *hw)))
    w = draw(seeded_tensor((c_out, c_in // g, *k)))
    out = tuple(measure.conv_size(hw[i], k[i], s[i], p[i], d[i]) for i in range(2))
    return {"x": x, "w": w, "groups": g, "stride": s, "padding": p, "dilation": d,
            "grad": draw(seeded_tensor((n, c_out, *out)))}


def backward_differs(case: dict[str, Any]) -> str | None:
    """Autograd's gradient with respect to the input against conv_transpose2d of the upstream
    gradient with the same weight, stride, padding, dilation and groups, and the output_padding
    of :func:`needed_output_padding`."""
    x = case["x"].clone().requires_grad_(True)
    s, p, d = case["stride"], case["padding"], case["dilation"]
    y = F.conv2d(x, case["w"], stride=s, padding=p, dilation=d, groups=case["groups"])
    (grad_input,) = torch.autograd.grad(y, x, case["grad"])
    k = case["w"].shape[2:]
    op = tuple(needed_output_padding(x.shape[2 + i], k[i], s[i], p[i], d[i]) for i in range(2))
    try:
        transposed = F.conv_transpose2d(case["grad"], case["w"], stride=s, padding=p, output_padding=op,
                                        groups=case["groups"], dilation=d)
    except RuntimeError as exc:
        return f"torch refuses output_padding={op}: {str(exc).splitlines()[0]}"
    if transposed.shape != grad_input.shape:
        return f"conv_transpose2d gives shape {tuple(transposed.shape)}, the gradient has {tuple(grad_input.shape)}"
    return None if torch.allclose(transposed, grad_input, rtol=0, atol=1e-9) else "the values differ"


def _show_case(case: dict[str, Any]) -> str:
    return (f"x {summary(case['x'])}, w {summary(case['w'])}, stride={case['stride']}, padding={case['padding']}, "
            f"dilation={case['dilation']}, groups={case['groups']}")


def verify_backward() -> Verdict:
    found = hunt(strided_convolution(), backward_differs, max_examples=200)
    return hunted(found, "autograd's grad_input of conv2d against conv_transpose2d(grad_output, weight) with the "
                  "same stride, padding, dilation, groups and output_padding = (n+2p-d(k-1)-1) mod s "
                  "(strides 1–3, paddings 0–2, dilations 1–2, groups 1–2, batch 1–3)", _show_case)


def verify_transposed_size() -> Verdict:
    def measured(c: Config) -> int | None:
        return measure.conv_transpose_size(c["n"], c["k"], c["s"], c["p"], c["op"], c["d"])

    def check(c: Config) -> str | None:
        claimed, got = transposed_size(c["n"], c["k"], c["s"], c["p"], c["op"], c["d"]), measured(c)
        return None if claimed == got else f"the formula gives {claimed}, torch gives {got}"

    def restores(c: Config) -> str | None:
        shrunk = measure.conv_size(c["n"], c["k"], c["s"], c["p"], c["d"])
        op = needed_output_padding(c["n"], c["k"], c["s"], c["p"], c["d"])
        back = measure.conv_transpose_size(shrunk, c["k"], c["s"], c["p"], op, c["d"])
        if back is None:
            return f"torch refuses output_padding={op}"
        return None if back == c["n"] else f"the size comes back as {back} with output_padding={op}"

    sizes = split({"n": range(1, 7), "k": range(1, 5), "s": range(1, 4), "p": range(3), "op": range(3),
                   "d": range(1, 4)}, check, domain=lambda c: measured(c) is not None)
    inverse = split({"n": range(1, 10), "k": range(1, 5), "s": range(1, 4), "p": range(3), "d": range(1, 4)},
                    restores, domain=lambda c: measure.conv_size(c["n"], c["k"], c["s"], c["p"], c["d"]) is not None)
    n, k, s, d = integers("n", "k", "s", "d")
    (p,) = integers("p", positive=False)
    shrunk = torch_h_out(n, k, s, p, d)
    return sizes.verdict("(n-1)s - 2p + d(k-1) + output_padding + 1 against torch's conv_transpose2d, where torch "
                         "accepts output_padding", extra=(
        *inverse.evidence("conv2d, then conv_transpose2d with the same k, s, p, d and output_padding = "
                          "(n+2p-d(k-1)-1) mod s, against n"),
        proof("the transposed size of conv2d's output, with that output_padding",
              transposed_size(shrunk, k, s, p, needed_output_padding(n, k, s, p, d), d), n)))


CLAIMS = (
    Claim("conv-as-sparse-matrix", "2.7 转置卷积",
          "我们将 3×3 卷积核展平为 [4,16] 的稀疏矩阵 C … 那么 Y = CX 将是 [4,1] 的输出特征矩阵",
          "For a 4x4 input and a 3x3 kernel the convolution is a sparse [4, 16] matrix C, with Y = C X "
          "(X flattened to [16, 1], Y [4, 1] reshaped to 2x2); in general C is ((H-kh+1)(W-kw+1), HW).",
          verify_conv_matrix),
    Claim("transposed-is-ct", "2.7 转置卷积",
          "X=C^{T}Y",
          "The transposed convolution (stride 1, no padding) multiplies by C^T: it maps Y (h', w') to "
          "C^T Y reshaped to (h'+kh-1, w'+kw-1).", verify_transposed_is_ct),
    Claim("transposed-inverts", "2.7 转置卷积",
          "即反卷积就是要对这个矩阵运算过程进行逆运算",
          "The transposed convolution inverts the convolution: C^T (C X) = X.", verify_transposed_inverts),
    Claim("backward-is-transposed", "2.7 转置卷积",
          "卷积的反向传播实际上就是一种转置卷积",
          "The backward of a convolution is a transposed convolution: the gradient with respect to the input "
          "is conv_transpose2d(grad_output, weight) with the same stride, padding, dilation and groups, and "
          "the output_padding that restores the input size.", verify_backward),
    Claim("transposed-output-size", "2.7 转置卷积",
          "torch.nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0",
          "A transposed convolution gives (n-1)s - 2p + d(k-1) + output_padding + 1 outputs (torch's formula; "
          "the notes list the parameters only), and output_padding = (n+2p-d(k-1)-1) mod s inverts a strided "
          "convolution's size.", verify_transposed_size),
)
