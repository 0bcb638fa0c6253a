"""The notes' claims about channels: multi-input convolution sums per-channel convolutions,
multi-output convolution stacks one map per kernel, a 1x1 convolution is a matrix product over
channels that keeps H x W, and groups=g is g convolutions side by side on the channel slices.

Each is an identity between torch's conv2d and the construction the notes describe; hypothesis
looks for the smallest input where the two differ. Entries are small multiples of 1/2
(:func:`grader.ledger.search.seeded_tensor`), so both sides are exact in float64 and any
difference is a real one.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.engine import strategies
from grader.engine.digits import number
from grader.ledger.record import Claim, Verdict
from grader.ledger.search import hunt, hunted, seeded_tensor
from grader.outputs.feedback import summary

Example = tuple[torch.Tensor, ...]


def _differs(torch_side: torch.Tensor, notes_side: torch.Tensor) -> str | None:
    if torch_side.shape != notes_side.shape:
        return f"torch gives shape {tuple(torch_side.shape)}, the construction {tuple(notes_side.shape)}"
    if not torch.allclose(torch_side, notes_side, rtol=0, atol=1e-9):
        return f"the values differ by up to {number(float((torch_side - notes_side).abs().max()))}"
    return None


def _shown(example: Example) -> str:
    return ", ".join(summary(t) for t in example)


@st.composite
def image_and_kernel(draw: Any, out_channels: st.SearchStrategy[int] | None,
                     kernel_sides: st.SearchStrategy[int]) -> Example:
    """X (C, H, W) and K (C, kh, kw), or K (O, C, kh, kw) when ``out_channels`` is given."""
    c = draw(strategies.channels(1, 4))
    o = () if out_channels is None else (draw(out_channels),)
    kh, kw = draw(strategies.pairs(kernel_sides))
    h, w = draw(strategies.input_side(kh, extra=3)), draw(strategies.input_side(kw, extra=3))
    return draw(seeded_tensor((c, h, w))), draw(seeded_tensor((*o, c, kh, kw)))


def multi_in_differs(example: Example) -> str | None:
    """torch's single-output convolution against the sum over channels of single-channel ones."""
    X, K = example
    per_channel = sum(F.conv2d(x[None, None], k[None, None])[0, 0] for x, k in zip(X, K))
    return _differs(F.conv2d(X[None], K[None])[0, 0], per_channel)


def multi_out_differs(example: Example) -> str | None:
    """torch's convolution with O kernels against the O single-kernel maps stacked on a new axis 0."""
    X, K = example
    stacked = torch.stack([F.conv2d(X[None], k[None])[0, 0] for k in K])
    return _differs(F.conv2d(X[None], K)[0], stacked)


def one_by_one_differs(example: Example) -> str | None:
    """torch's 1x1 convolution against K as an (O, C) matrix times X as a (C, H*W) matrix,
    reshaped to (O, H, W): the same H x W as the input."""
    X, K = example
    c, h, w = X.shape
    product = (K.reshape(K.shape[0], c) @ X.reshape(c, h * w)).reshape(K.shape[0], h, w)
    return _differs(F.conv2d(X[None], K)[0], product)


@st.composite
def grouped(draw: Any) -> tuple[torch.Tensor, torch.Tensor, int]:
    """A batch (N, g*a, H, W), a weight (g*b, a, kh, kw) and the groups g."""
    g, a, b = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(strategies.pairs(strategies.kernel_sides()))
    h, w = draw(strategies.input_side(kh, extra=2)), draw(strategies.input_side(kw, extra=2))
    n = draw(strategies.batches())
    return draw(seeded_tensor((n, g * a, h, w))), draw(seeded_tensor((g * b, a, kh, kw))), g


def groups_differ(example: tuple[torch.Tensor, torch.Tensor, int]) -> str | None:
    """conv2d(groups=g) against g convolutions, each on its slice of input channels with its slice
    of the kernels, concatenated along the channel axis."""
    x, w, g = example
    ins, outs = x.shape[1] // g, w.shape[0] // g
    side_by_side = torch.cat([F.conv2d(x[:, i * ins:(i + 1) * ins], w[i * outs:(i + 1) * outs]) for i in range(g)],
                             dim=1)
    return _differs(F.conv2d(x, w, groups=g), side_by_side)


def verify_multi_in() -> Verdict:
    found = hunt(image_and_kernel(None, strategies.kernel_sides()), multi_in_differs)
    return hunted(found, "conv2d with K (1, C, kh, kw) against the sum of the C single-channel convolutions "
                  "(C 1–4, kernels up to 4x4)", _shown)


def verify_multi_out() -> Verdict:
    found = hunt(image_and_kernel(strategies.channels(1, 4), strategies.kernel_sides()), multi_out_differs)
    return hunted(found, "conv2d with K (O, C, kh, kw) against O multi-input maps stacked on axis 0 "
                  "(O, C 1–4)", _shown)


def verify_one_by_one() -> Verdict:
    found = hunt(image_and_kernel(strategies.channels(1, 4), st.just(1)), one_by_one_differs)
    return hunted(found, "1x1 conv2d against K (O, C) @ X (C, H*W) reshaped to (O, H, W) (O, C 1–4, "
                  "O != C drawn too)", _shown)


def verify_groups() -> Verdict:
    found = hunt(grouped(), groups_differ)
    return hunted(found, "conv2d(groups=g) against g convolutions on the channel slices, concatenated "
                  "(g 1–3, batch 1–3)", lambda e: f"{summary(e[0])}, {summary(e[1])}, groups={e[2]}")


CLAIMS = (
    Claim("multi-input-sum", "2.4 多通道上的卷积",
          "卷积过程就是将每个单通道与对应的卷积核进行卷积运算,然后将 3 通道的和相加",
          "A convolution over C input channels is the sum of the C single-channel convolutions of each "
          "channel with its own kernel slice.", verify_multi_in),
    Claim("multi-output-stack", "2.4 多通道上的卷积",
          "不同卷积核组卷积得到不同的输出,个数由卷积核组决定",
          "With O kernels (O, C, kh, kw) the output has O channels: the O multi-input maps stacked.",
          verify_multi_out),
    Claim("one-by-one-matmul", "2.4 多通道上的卷积",
          "可以在保持特征图尺度不变的前提下 … 也可以组合来自不同通道的信息",
          "A 1x1 convolution keeps H x W and mixes channels: it is the matrix product of K (O x C) with X "
          "(C x HW).", verify_one_by_one),
    Claim("groups-side-by-side", "2.6 卷积函数",
          "当 group=2 时,相当于有并排的两个卷积层,每个卷积层计算输入通道的一半,并且产生的输出是输出通道的一半,"
          "随后将这两个输出连接起来",
          "groups=g equals g convolutions side by side, each on its share of the input channels producing "
          "its share of the output channels, concatenated (checked for g = 1, 2, 3).", verify_groups),
)
