"""ex05: convolution with several input channels (summed), several output channels (one
multi-input convolution per output kernel, stacked) and the 1x1 convolution as a single matrix
product. Unbatched: X is (C, H, W)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from grader.api import (
    N_,
    Call,
    Exercise,
    Mistake,
    Task,
    Window,
    arguments,
    checks,
    register,
    spatial_window,
    strategies,
)


def reference_conv2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(C, H, W), (O, C, kh, kw) -> (O, H - kh + 1, W - kw + 1): torch's conv2d on a batch of one."""
    return F.conv2d(X[None], K)[0]


def reference_conv2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(C, H, W), (C, kh, kw) -> (H - kh + 1, W - kw + 1): a single output channel."""
    return reference_conv2d_multi_in_out(X, K[None])[0]


def reference_conv2d_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(C, H, W), (O, C, 1, 1) -> (O, H, W)."""
    return reference_conv2d_multi_in_out(X, K)


def mistake_sized_from_channels(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """The notes' listing: the output buffer is zeros(C - kh + 1, H - kw + 1), sized from the channel
    count and the height, and the channel maps are added to it (broadcasting where they can)."""
    c, h, _ = X.shape
    return torch.zeros(c - K.shape[1] + 1, h - K.shape[2] + 1, dtype=X.dtype) + reference_conv2d_multi_in(X, K)


def mistake_1x1_axes_mixed(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """X.reshape(H*W, C) instead of X.reshape(C, H*W): channel and pixel values interleave."""
    c, h, w = X.shape
    return (X.reshape(h * w, c) @ K.reshape(-1, c).T).T.reshape(-1, h, w)


def mistake_1x1_unpermuted(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """The (H*W, O) product reshaped straight to (O, H, W), without moving the channel axis first."""
    c, h, w = X.shape
    return (X.reshape(c, h * w).T @ K.reshape(-1, c).T).reshape(-1, h, w)


MISTAKES_MULTI_IN = (
    Mistake(N_("channels averaged instead of summed"), N_("add the C channel maps: .sum(0), not .mean(0)"),
            lambda X, K: reference_conv2d_multi_in(X, K) / X.shape[0]),
    Mistake(N_("only the first channel used"), N_("every channel c contributes: loop over (or sum across) all of "
                                                  "zip(X, K), not X[0] and K[0]"),
            lambda X, K: reference_conv2d_multi_in(X[:1], K[:1])),
    Mistake(N_("output sized from the channel count"), N_("the output is (H - kh + 1, W - kw + 1): take its size "
                                                          "from X.shape[1] and X.shape[2], not X.shape[0] and "
                                                          "X.shape[1]"), mistake_sized_from_channels),
)

MISTAKES_MULTI_IN_OUT = (
    Mistake(N_("output channels stacked on the last axis"), N_("torch.stack(maps) stacks along dim=0: the result "
                                                               "is (O, H', W'), not (H', W', O)"),
            lambda X, K: reference_conv2d_multi_in_out(X, K).permute(1, 2, 0)),
    Mistake(N_("only the first input channel used"), N_("each output channel sums over all C input channels"),
            lambda X, K: reference_conv2d_multi_in_out(X[:1], K[:, :1])),
)

MISTAKES_1X1 = (
    Mistake(N_("channel and pixel axes mixed by a reshape"), N_("X.reshape(C, H*W) keeps the channel axis first; "
                                                                "X.reshape(H*W, C) interleaves channels and pixels "
                                                                "(use X.reshape(C, -1).T for pixels first)"),
            mistake_1x1_axes_mixed),
    Mistake(N_("(H*W, O) result reshaped without moving the channel axis"),
            N_("a product with pixels first must be transposed to (O, H*W) before reshaping to (O, H, W)"),
            mistake_1x1_unpermuted),
)


@st.composite
def image_and_kernels(draw: Any, out_channels: bool, kernel_sides: st.SearchStrategy[int]) -> Call:
    """X (C, H, W) and K (C, kh, kw), or K (O, C, kh, kw) when ``out_channels``; C, O, the
    kernel's sides and the image's sides are drawn independently (so C != H is common)."""
    c = draw(strategies.channels(1, 4))
    o = (draw(strategies.channels(1, 4)),) if out_channels else ()
    kh, kw = draw(strategies.pairs(kernel_sides))
    h = draw(strategies.input_side(kh, extra=3))
    w = draw(strategies.input_side(kw, extra=3))
    return Call((draw(strategies.tensors((c, h, w))), draw(strategies.tensors((*o, c, kh, kw)))))


def calls_multi_in():
    return image_and_kernels(out_channels=False, kernel_sides=strategies.kernel_sides())


def calls_multi_in_out():
    return image_and_kernels(out_channels=True, kernel_sides=strategies.kernel_sides())


def calls_1x1():
    return image_and_kernels(out_channels=True, kernel_sides=st.just(1))


def ramp(*shape: int) -> torch.Tensor:
    """A float64 tensor of ``shape`` whose entries cycle through -2 .. 2 in steps of 1/2."""
    n = 1
    for s in shape:
        n *= s
    return ((torch.arange(n, dtype=torch.float64) % 9 - 4) / 2).reshape(shape)


NOTES_MULTI_IN = Call((
    torch.tensor([[[1, 0, 1, 0, 2], [1, 1, 3, 2, 1], [1, 1, 0, 1, 1], [2, 3, 2, 1, 3], [0, 2, 0, 1, 0]],
                  [[1, 0, 0, 1, 0], [2, 0, 1, 2, 0], [3, 1, 1, 3, 0], [0, 3, 0, 3, 2], [1, 0, 3, 2, 1]],
                  [[2, 0, 1, 2, 1], [3, 3, 1, 3, 2], [2, 1, 1, 1, 0], [3, 1, 3, 2, 0], [1, 1, 2, 1, 1]]],
                 dtype=torch.float64),
    torch.tensor([[[0, 1, 0], [0, 0, 2], [0, 1, 0]],
                  [[2, 1, 0], [0, 0, 0], [0, 3, 0]],
                  [[1, 0, 0], [1, 0, 0], [0, 0, 2]]], dtype=torch.float64),
), label=N_("the notes' 3x5x5 example"))

NOTES_1X1 = Call((
    torch.tensor([[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
                  [[2, 2, 2], [2, 2, 2], [2, 2, 2]]], dtype=torch.float64),
    torch.tensor([[[[1]], [[2]], [[3]]], [[[4]], [[1]], [[1]]], [[[5]], [[3]], [[3]]]], dtype=torch.float64),
), label=N_("the notes' 1x1 example"))

THREE_KERNELS_WIDE = Call((ramp(2, 2, 4), ramp(3, 2, 1, 2) + 1),
                          label=N_("3 output channels, 2 input channels, a 2x4 image, a 1x2 kernel"))

NON_SQUARE_1X1 = Call((ramp(2, 3, 4), ramp(3, 2, 1, 1) + 1), label=N_("2 channels in, 3 out, a 3x4 image"))

LOOP_SMALL = Call((ramp(2, 2, 3), ramp(2, 2, 1, 1)), label=N_("2 channels in, 2 out, a 2x3 image"))
LOOP_LARGE = Call((ramp(4, 5, 6), ramp(3, 4, 1, 1)), label=N_("4 channels in, 3 out, a 5x6 image"))

def window_multi_in(call: Call, entry: tuple[int, ...]) -> Window:
    """Y[i, j] reads every channel of X at rows i:i+kh, columns j:j+kw."""
    return spatial_window(entry, tuple(call.args[1].shape[-2:]), lead=(slice(None),))


def window_multi_in_out(call: Call, entry: tuple[int, ...]) -> Window:
    """Y[o, i, j] reads every channel of X at rows i:i+kh, columns j:j+kw against K[o]."""
    return spatial_window(entry, tuple(call.args[1].shape[-2:]), lead=(slice(None),),
                          reduce=f"({{window}} * K[{entry[0]}]).sum()")


register(Exercise(
    module="ex05_channels",
    title=N_("Multiple input and output channels, 1x1 convolution"),
    notes=N_(r"""With $C$ input channels the kernel has one $k_h \times k_w$ slice per channel: each
channel is cross-correlated with its own slice and the $C$ results are **added**, giving one
$(H - k_h + 1) \times (W - k_w + 1)$ map. With $O$ output channels there are $O$ such kernels,
$K$ of shape $(O, C, k_h, k_w)$, and their $O$ maps are stacked along a new first axis. A
$1 \times 1$ kernel mixes channels pixel by pixel: $Y_{o,i,j} = \sum_c K_{o,c} X_{c,i,j}$, which is
the matrix product of $K$ as an $(O, C)$ matrix with $X$ as a $(C, H W)$ matrix."""),
    tasks=(
        Task(
            name="conv2d_multi_in",
            summary=N_("X (C, H, W) cross-correlated with K (C, kh, kw), summed over channels -> (H', W')"),
            calls=calls_multi_in,
            reference=reference_conv2d_multi_in,
            examples=(NOTES_MULTI_IN,),
            checks=checks.standard(),
            mistakes=MISTAKES_MULTI_IN,
            window=window_multi_in,
            hint=N_("cross-correlate X[c] with K[c] for every channel c and add the results; the output "
                    "has shape (H - kh + 1, W - kw + 1), from X's last two axes, not from its channel count"),
        ),
        Task(
            name="conv2d_multi_in_out",
            summary=N_("X (C, H, W) with K (O, C, kh, kw) -> (O, H', W'): one multi-input map per kernel"),
            calls=calls_multi_in_out,
            reference=reference_conv2d_multi_in_out,
            examples=(THREE_KERNELS_WIDE, NOTES_1X1),
            checks=checks.standard(),
            mistakes=MISTAKES_MULTI_IN_OUT,
            window=window_multi_in_out,
            hint=N_("output channel o is the multi-input cross-correlation of X with K[o]; stack the O maps "
                    "along a new first axis (dim=0)"),
        ),
        Task(
            name="conv2d_1x1",
            summary=N_("X (C, H, W) with K (O, C, 1, 1) -> (O, H, W) as one matrix product"),
            calls=calls_1x1,
            reference=reference_conv2d_1x1,
            examples=(NOTES_1X1, NON_SQUARE_1X1),
            checks=checks.standard() + (checks.loop_free(LOOP_SMALL, LOOP_LARGE),),
            mistakes=MISTAKES_1X1,
            window=window_multi_in_out,
            hint=N_("K as an (O, C) matrix times X as a (C, H*W) matrix, then back to (O, H, W); X.reshape(C, "
                    "H*W) keeps the channel axis first, X.reshape(H*W, C) does not"),
        ),
    ),
))
