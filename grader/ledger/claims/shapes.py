"""The notes' size formulas: valid output size, "same" padding, (n+2p-f)/s+1, nn.Conv2d's
H_out and weight shape, each checked against the shapes torch produces.

The ``notes_*`` functions are the formulas exactly as the notes write them (``/`` is exact
division, kept as a sympy rational so a fractional size shows); the verifiers look them up at
call time, so replacing one changes the verdict. ``torch_h_out`` is torch's documented formula,
with the floor the notes leave out.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import sympy
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.engine import strategies
from grader.ledger import measure
from grader.ledger.record import Claim, Evidence, Verdict
from grader.ledger.search import Config, Feature, hunt, integers, proof, seeded_tensor, split
from grader.ledger.subjects import run_script

Size = Any  # an int or a sympy expression


def notes_valid_size(x: Size, k: Size) -> Size:
    """Section 2: an input side X and a kernel side K give X - K + 1 outputs."""
    return x - k + 1


def notes_same_padding(f: Size) -> Size:
    """Section 3: "p = (f - 1) / 2" rows of zeros on each side."""
    return sympy.sympify(f - 1) / 2


def notes_conv_size(n: Size, f: Size, p: Size, s: Size) -> Size:
    """Section 3: the size after convolution, (n + 2p - f) / s + 1."""
    return sympy.sympify(n + 2 * p - f) / s + 1


def notes_h_out(h_in: Size, k: Size, s: Size, p: Size, d: Size) -> Size:
    """Section 6 (2): nn.Conv2d's H_out, as the notes print it (no floor)."""
    return sympy.sympify(h_in + 2 * p - d * (k - 1) - 1) / s + 1


def notes_weight_shape(c_in: Size, c_out: Size, kh: Size, kw: Size, groups: Size) -> tuple[Size, ...]:
    """Section 6 (2): weight (out_channels, in_channels / groups, kernel_size[0], kernel_size[1])."""
    return (c_out, sympy.sympify(c_in) / groups, kh, kw)


def torch_h_out(h_in: Size, k: Size, s: Size = 1, p: Size = 0, d: Size = 1) -> Size:
    """torch's documented H_out: floor((H_in + 2p - d(k - 1) - 1) / s) + 1."""
    return (h_in + 2 * p - d * (k - 1) - 1) // s + 1


def _differs(claimed: Any, got: Any) -> str | None:
    return None if claimed == got else f"the formula gives {claimed}, torch gives {got}"


def verify_valid_size() -> Verdict:
    def check(c: Config) -> str | None:
        claimed = (notes_valid_size(c["X_h"], c["K_h"]), notes_valid_size(c["X_w"], c["K_w"]))
        return _differs(claimed, measure.conv2d_shape(c["X_h"], c["X_w"], c["K_h"], c["K_w"]))

    sides = range(1, 7)
    found = split({"X_h": sides, "X_w": sides, "K_h": sides, "K_w": sides}, check,
                  domain=lambda c: measure.conv2d_shape(c["X_h"], c["X_w"], c["K_h"], c["K_w"]) is not None)
    x, k = integers("X", "K")
    return found.verdict("(H, W) of torch's conv2d against (X_h-K_h+1, X_w-K_w+1)", extra=(
        proof("torch's H_out at padding 0, stride 1, dilation 1", torch_h_out(x, k), notes_valid_size(x, k)),))


def verify_same_padding() -> Verdict:
    def check(c: Config) -> str | None:
        p = notes_same_padding(c["f"])
        if not p.is_integer:
            return f"p = {p} is not a whole number of rows"
        out = measure.conv_size(c["n"], c["f"], c["s"], int(p))
        return None if out == c["n"] else f"the output has {out} row(s), not n = {c['n']}"

    found = split({"n": range(1, 11), "f": range(1, 8), "s": range(1, 4)}, check,
                  (Feature("f odd", "f even", lambda c: c["f"] % 2 == 1),
                   Feature("s = 1", "s > 1", lambda c: c["s"] == 1)))
    n, m = integers("n", "m")
    placement = hunt(even_kernel_same(), same_placement_differs)
    return found.verdict("torch's output size with p = (f-1)/2 against n", extra=(
        proof("with f = 2m+1 and s = 1, torch's H_out", torch_h_out(n, 2 * m + 1, 1, notes_same_padding(2 * m + 1)), n),
        placement_evidence(placement)))


@st.composite
def even_kernel_same(draw: Any) -> tuple[torch.Tensor, torch.Tensor, int]:
    """An (H, W) input, a (k, k) kernel (odd or even) and a dilation, for padding="same"."""
    k = draw(st.integers(1, 6))
    d = draw(st.integers(1, 3))
    h, w = draw(strategies.pairs(strategies.sizes()))
    return draw(seeded_tensor((h, w))), draw(seeded_tensor((k, k))), d


def same_placement_differs(example: tuple[torch.Tensor, torch.Tensor, int]) -> str | None:
    """Whether torch's padding="same" differs from padding d(k-1)//2 before and the rest after."""
    x, w, d = example
    total = d * (w.shape[0] - 1)
    before, after = total // 2, total - total // 2
    with warnings.catch_warnings():  # torch warns that even kernels need a padded copy: that is the point
        warnings.simplefilter("ignore", UserWarning)
        same = F.conv2d(x[None, None], w[None, None], padding="same", dilation=d)
    explicit = F.conv2d(F.pad(x[None, None], (before, after, before, after)), w[None, None], dilation=d)
    return None if torch.allclose(same, explicit, rtol=0, atol=1e-9) else "the placements differ"


def placement_evidence(found: Any) -> Evidence:
    if found.example is None:
        return Evidence("hypothesis", "where f is even (no whole p exists), torch's padding=\"same\" pads "
                        "d(f-1)//2 before and the rest after (the extra row at the bottom, column at the right): "
                        f"no counterexample in {found.tried} drawn inputs (f 1–6, dilation 1–3)")
    x, w, d = found.example
    return Evidence("hypothesis", f"torch's padding=\"same\" is not d(f-1)//2 before and the rest after: "
                    f"input {tuple(x.shape)}, kernel {tuple(w.shape)}, dilation {d}")


def verify_conv_size() -> Verdict:
    space = {"n": range(1, 11), "f": range(1, 6), "p": range(3), "s": range(1, 4)}

    def accepted(c: Config) -> bool:
        return measure.conv_size(c["n"], c["f"], c["s"], c["p"]) is not None

    def check(c: Config) -> str | None:
        return _differs(notes_conv_size(c["n"], c["f"], c["p"], c["s"]),
                        measure.conv_size(c["n"], c["f"], c["s"], c["p"]))

    def floored(c: Config) -> str | None:
        return _differs(sympy.floor(notes_conv_size(c["n"], c["f"], c["p"], c["s"])),
                        measure.conv_size(c["n"], c["f"], c["s"], c["p"]))

    found = split(space, check, (Feature("s divides n+2p-f", "s does not divide n+2p-f",
                                         lambda c: (c["n"] + 2 * c["p"] - c["f"]) % c["s"] == 0),
                                 Feature("s = 1", "s > 1", lambda c: c["s"] == 1)), domain=accepted)
    repaired = split(space, floored, domain=accepted)
    n, f, s = integers("n", "f", "s")
    (p,) = integers("p", positive=False)
    return found.verdict("(n+2p-f)/s+1 against torch's output size", extra=(
        *repaired.evidence("with the floor, floor((n+2p-f)/s)+1 against torch"),
        proof("with the floor, at dilation 1, torch's H_out", torch_h_out(n, f, s, p),
              sympy.floor(notes_conv_size(n, f, p, s)))))


def verify_h_out() -> Verdict:
    space = {"H_in": range(1, 10), "k": range(1, 5), "s": range(1, 4), "p": range(3), "d": range(1, 4)}

    def measured(c: Config) -> int | None:
        return measure.conv_size(c["H_in"], c["k"], c["s"], c["p"], c["d"])

    def check(c: Config) -> str | None:
        return _differs(notes_h_out(c["H_in"], c["k"], c["s"], c["p"], c["d"]), measured(c))

    def floored(c: Config) -> str | None:
        return _differs(torch_h_out(c["H_in"], c["k"], c["s"], c["p"], c["d"]), measured(c))

    def divides(c: Config) -> bool:
        return (c["H_in"] + 2 * c["p"] - c["d"] * (c["k"] - 1) - 1) % c["s"] == 0

    def accepted(c: Config) -> bool:
        return measured(c) is not None

    found = split(space, check, (Feature("stride divides H_in+2p-d(k-1)-1", "stride does not divide "
                                         "H_in+2p-d(k-1)-1", divides),), domain=accepted)
    return found.verdict("H_out as printed against the height torch gives (stride, padding, dilation "
                         "as (h, 1) tuples, so index [0] is the height)", extra=tuple(
        split(space, floored, domain=accepted).evidence("with the floor (torch's documentation) against torch")))


LISTED_SIZE = re.compile(r"torch\.Size\(\[[0-9, ]*\]\)")


def verify_weight_shape() -> Verdict:
    def check(c: Config) -> str | None:
        got = measure.weight_shape(c["c_in"], c["c_out"], c["kh"], c["kw"], c["groups"])
        return _differs(notes_weight_shape(c["c_in"], c["c_out"], c["kh"], c["kw"], c["groups"]), got)

    def accepted(c: Config) -> bool:
        return measure.weight_shape(c["c_in"], c["c_out"], c["kh"], c["kw"], c["groups"]) is not None

    found = split({"c_in": range(1, 7), "c_out": range(1, 7), "groups": range(1, 7), "kh": range(1, 4),
                   "kw": range(1, 4)}, check, domain=accepted)
    verdict = found.verdict("nn.Conv2d's weight shape against (out, in/groups, kh, kw), where nn.Conv2d "
                            "accepts the groups")
    run = run_script("groups_weight_shapes", seed=0)
    commented = LISTED_SIZE.findall("\n".join(line.partition("#")[2] for line in run.source.splitlines()))
    printed = LISTED_SIZE.findall(run.printed)
    listing = Evidence("run", f"the notes' groups listing prints {', '.join(printed)}; its comments say "
                       f"{', '.join(commented)}")
    if printed != commented:
        return Verdict("refuted", verdict.evidence + (listing,), counterexample="the listing prints other shapes "
                       "than its comments give")
    return Verdict(verdict.status, verdict.evidence + (listing,), verdict.condition, verdict.counterexample)


CLAIMS = (
    Claim("valid-output-size", "2 卷积层",
          r"运算后的输出矩阵的形状为 \left ( X_{w}-K_{w}+1, X_{h}-K_{h}+1 \right )",
          "A valid, stride-1 convolution of an X_h x X_w input with a K_h x K_w kernel gives an "
          "(X_h-K_h+1) x (X_w-K_w+1) output.", verify_valid_size),
    Claim("same-padding", "2.3 填充",
          r"采用 Same 时,对图像扩展并补零 … p=\frac{f-1}{2}",
          "Padding p = (f-1)/2 zeros on each side keeps the output size equal to the input size n.",
          verify_same_padding),
    Claim("conv-output-size", "2.3 填充",
          r"卷积后的大小:\frac{n+2p-f}{s}+1",
          "With padding p, kernel f and stride s, an input of size n gives (n+2p-f)/s + 1 outputs.",
          verify_conv_size),
    Claim("conv2d-h-out", "2.6 卷积函数",
          r"H_{out}=\frac{H_{in}+2\times padding[0]-dilation[0]\times (kernel\, size[0]-1)-1}{stride[0]}+1",
          "nn.Conv2d's output height is (H_in + 2 padding[0] - dilation[0] (kernel_size[0]-1) - 1) / "
          "stride[0] + 1 (and likewise W_out with index [1]).", verify_h_out),
    Claim("conv2d-weight-shape", "2.6 卷积函数",
          "weight:(out_channels, in_channels/groups, kernel_size[0], kernel_size[1])",
          "nn.Conv2d's weight has shape (out_channels, in_channels/groups, kernel_size[0], kernel_size[1]); "
          "the notes' listing prints [12, 6, 1, 1], [12, 3, 1, 1], [12, 2, 1, 1] for 6 -> 12 channels and "
          "groups 1, 2, 3.", verify_weight_shape),
)
