"""ex01: valid 2-D cross-correlation (what deep learning calls convolution) and true
convolution (the kernel flipped in both axes), single channel, stride 1."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader import checks, strategies
from grader.exercise import Call, Exercise, Task
from grader.registry import register


def reference_cust_conv2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(H, W), (kh, kw) -> (H-kh+1, W-kw+1): torch's conv2d is a cross-correlation."""
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def reference_true_conv2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """The mathematical convolution: cross-correlation with the kernel flipped in both axes."""
    return reference_cust_conv2d(X, K.flip(0, 1))


def calls_matrix_and_kernel():
    return strategies.matrix_and_kernel().map(lambda xk: Call(xk))


NOTES_EXAMPLE = Call((
    torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0, 1.0],
                  [0.0, 0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0, 0.0]], dtype=torch.float64),
    torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]], dtype=torch.float64),
), label="the notes' 5x5 example")

ASYMMETRIC_EXAMPLE = Call((
    torch.arange(12, dtype=torch.float64).reshape(3, 4),
    torch.tensor([[1.0, 2.0]], dtype=torch.float64),
), label="a 3x4 input and a 1x2 kernel")

register(Exercise(
    module="ex01_cross_correlation",
    title="Cross-correlation by hand",
    notes=r"""Slide the kernel $K$ ($k_h \times k_w$) over the input $X$ ($H \times W$), from the top
left, left to right and top to bottom. At each position multiply the window by $K$ element-wise
and sum: $Y_{i,j} = \sum_{a,b} X_{i+a,\,j+b} K_{a,b}$. The output has shape
$(H - k_h + 1) \times (W - k_w + 1)$. Deep-learning "convolution" is this cross-correlation;
the mathematical convolution flips the kernel in both axes first.""",
    tasks=(
        Task(
            name="cust_conv2d",
            summary="valid 2-D cross-correlation of X (H, W) with K (kh, kw), stride 1",
            calls=calls_matrix_and_kernel,
            reference=reference_cust_conv2d,
            examples=(NOTES_EXAMPLE, ASYMMETRIC_EXAMPLE),
            checks=checks.standard(),
            hint="output shape is (H - kh + 1, W - kw + 1); Y[i, j] = (X[i:i+kh, j:j+kw] * K).sum()",
        ),
        Task(
            name="true_conv2d",
            summary="valid 2-D convolution: the kernel flipped in both axes, then cross-correlated",
            calls=calls_matrix_and_kernel,
            reference=reference_true_conv2d,
            examples=(ASYMMETRIC_EXAMPLE,),
            checks=checks.standard(),
            hint="flip K along both axes (K.flip(0, 1)) and cross-correlate",
        ),
    ),
))
