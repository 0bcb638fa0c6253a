"""Small composable hypothesis strategies for valid convolution configurations.

Everything is valid by construction (no ``.filter``): a composite draws the kernel, stride,
padding and dilation first, then an input size that leaves at least one output position.
Tensors are float64 CPU master copies holding small multiples of 1/2, which shrink towards
0 and stay exact in float32, so a counterexample reads as small numbers.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

MAX_SIDE = 7  # largest drawn input side: big enough for every bug, small enough to print


def values() -> st.SearchStrategy[float]:
    """Entries of drawn tensors: -4 to 4 in steps of 1/2, shrinking to 0."""
    return st.integers(-8, 8).map(lambda v: v / 2)


def tensors(shape: Sequence[int]) -> st.SearchStrategy[torch.Tensor]:
    """A float64 CPU tensor of exactly ``shape`` with small half-integer entries."""
    return arrays(np.float64, tuple(int(s) for s in shape), elements=values()).map(torch.from_numpy)


def sizes(lo: int = 1, hi: int = MAX_SIDE) -> st.SearchStrategy[int]:
    """An input side."""
    return st.integers(lo, hi)


def kernel_sides() -> st.SearchStrategy[int]:
    """A kernel side: 1 to 4."""
    return st.integers(1, 4)


def strides() -> st.SearchStrategy[int]:
    """A stride: 1 to 3."""
    return st.integers(1, 3)


def dilations() -> st.SearchStrategy[int]:
    """A dilation: 1 to 3."""
    return st.integers(1, 3)


def channels(lo: int = 1, hi: int = 3) -> st.SearchStrategy[int]:
    """A channel count."""
    return st.integers(lo, hi)


def batches() -> st.SearchStrategy[int]:
    """A batch size: 1 to 3."""
    return st.integers(1, 3)


def pairs(elements: st.SearchStrategy[int]) -> st.SearchStrategy[tuple[int, int]]:
    """An (h, w) pair whose two sides are drawn independently (so they often differ)."""
    return st.tuples(elements, elements)


def int_or_pair(elements: st.SearchStrategy[int]) -> st.SearchStrategy[int | tuple[int, int]]:
    """What torch accepts for kernel_size, stride, padding and dilation: an int or an (h, w) pair."""
    return st.one_of(elements, pairs(elements))


def as_pair(value: int | Sequence[int]) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(2, 3)`` -> ``(2, 3)``."""
    if isinstance(value, int):
        return (value, value)
    h, w = value
    return (int(h), int(w))


def span(kernel: int, dilation: int = 1) -> int:
    """How many input pixels one kernel window covers along an axis."""
    return dilation * (kernel - 1) + 1


@st.composite
def input_side(draw: Any, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
               extra: int = 5) -> int:
    """An input side n >= 1 that leaves at least one output position:
    n + 2*padding >= dilation*(kernel-1) + 1."""
    lo = max(1, span(kernel, dilation) - 2 * padding)
    return draw(st.integers(lo, lo + extra + stride))


@st.composite
def matrix_and_kernel(draw: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """(X, K) with X (H, W) and K (kh, kw), kh <= H, kw <= W, sides drawn independently."""
    kh, kw = draw(pairs(kernel_sides()))
    h = draw(st.integers(kh, kh + 5))
    w = draw(st.integers(kw, kw + 5))
    return draw(tensors((h, w))), draw(tensors((kh, kw)))


def noncontiguous(t: torch.Tensor) -> torch.Tensor:
    """The same values as ``t`` in a non-contiguous view (every other column of a wider buffer,
    or a transposed buffer), so code that assumes contiguity or calls ``.view`` is caught."""
    if t.dim() == 0 or t.numel() == 0:
        return t
    if t.dim() >= 2 and t.shape[-1] > 1 and t.shape[-2] > 1:
        return t.transpose(-1, -2).contiguous().transpose(-1, -2)
    wide = torch.zeros(*t.shape[:-1], 2 * t.shape[-1], dtype=t.dtype, device=t.device)
    wide[..., ::2] = t
    return wide[..., ::2]
