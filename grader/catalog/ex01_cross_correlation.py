"""ex01: valid 2-D cross-correlation (what deep learning calls convolution) and true
convolution (the kernel flipped in both axes), single channel, stride 1."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.api import N_, Call, Exercise, Mistake, Task, Window, checks, register, spatial_window, strategies


def reference_cust_conv2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(H, W), (kh, kw) -> (H-kh+1, W-kw+1): torch's conv2d is a cross-correlation."""
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def reference_true_conv2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """The mathematical convolution: cross-correlation with the kernel flipped in both axes."""
    return reference_cust_conv2d(X, K.flip(0, 1))


def mistake_one_too_small(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Loops to H - kh and W - kw (exclusive) instead of H - kh + 1: the last row and column
    of the output are missing."""
    return reference_cust_conv2d(X, K)[:-1, :-1]


def mistake_kernel_sides_swapped(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Unpacks ``kw, kh = K.shape``: the windows are kw x kh and the kernel is read transposed."""
    return reference_cust_conv2d(X, K.T)


MISTAKES_CORRELATION = (
    Mistake(N_("kernel flipped (true convolution instead of cross-correlation)"),
            N_("deep-learning convolution does not flip the kernel: Y[i, j] = (X[i:i+kh, j:j+kw] * K).sum()"),
            reference_true_conv2d),
    Mistake(N_("output one row and one column too small"), N_("the output has H - kh + 1 rows and W - kw + 1 "
            "columns: range(H - kh + 1)"), mistake_one_too_small),
    Mistake(N_("kernel height and width swapped"), N_("K.shape is (kh, kw): rows first"),
            mistake_kernel_sides_swapped),
)

MISTAKES_CONVOLUTION = (
    Mistake(N_("kernel not flipped (cross-correlation instead of convolution)"),
            N_("the mathematical convolution flips the kernel in both axes: K.flip(0, 1)"), reference_cust_conv2d),
    Mistake(N_("kernel flipped along one axis only"), N_("flip both axes: K.flip(0, 1), not K.flip(0) or K.flip(1)"),
            lambda X, K: reference_cust_conv2d(X, K.flip(0))),
    Mistake(N_("kernel flipped along the other axis only"),
            N_("flip both axes: K.flip(0, 1), not K.flip(0) or K.flip(1)"),
            lambda X, K: reference_cust_conv2d(X, K.flip(1))),
)


def window_correlation(call: Call, entry: tuple[int, ...]) -> Window:
    """Y[i, j] reads X[i:i+kh, j:j+kw] against K."""
    return spatial_window(entry, tuple(call.args[1].shape))


def window_convolution(call: Call, entry: tuple[int, ...]) -> Window:
    """Y[i, j] reads X[i:i+kh, j:j+kw] against the flipped kernel."""
    return spatial_window(entry, tuple(call.args[1].shape), reduce="({window} * K.flip(0, 1)).sum()")


def calls_matrix_and_kernel():
    return strategies.matrix_and_kernel().map(lambda xk: Call(xk))


NOTES_EXAMPLE = Call((
    torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0, 1.0],
                  [0.0, 0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0, 0.0]], dtype=torch.float64),
    torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]], dtype=torch.float64),
), label=N_("the notes' 5x5 example"))

ASYMMETRIC_EXAMPLE = Call((
    torch.arange(12, dtype=torch.float64).reshape(3, 4),
    torch.tensor([[1.0, 2.0]], dtype=torch.float64),
), label=N_("a 3x4 input and a 1x2 kernel"))

ASYMMETRIC_KERNEL = Call((
    torch.arange(12, dtype=torch.float64).reshape(3, 4),
    torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64),
), label=N_("a 3x4 input and a kernel with no symmetry"))

register(Exercise(
    module="ex01_cross_correlation",
    title=N_("Cross-correlation by hand"),
    notes=N_(r"""Slide the kernel $K$ ($k_h \times k_w$) over the input $X$ ($H \times W$), from the top
left, left to right and top to bottom. At each position multiply the window by $K$ element-wise
and sum: $Y_{i,j} = \sum_{a,b} X_{i+a,\,j+b} K_{a,b}$. The output has shape
$(H - k_h + 1) \times (W - k_w + 1)$. Deep-learning "convolution" is this cross-correlation;
the mathematical convolution flips the kernel in both axes first."""),
    tasks=(
        Task(
            name="cust_conv2d",
            summary=N_("valid 2-D cross-correlation of X (H, W) with K (kh, kw), stride 1"),
            calls=calls_matrix_and_kernel,
            reference=reference_cust_conv2d,
            examples=(NOTES_EXAMPLE, ASYMMETRIC_EXAMPLE, ASYMMETRIC_KERNEL),
            checks=checks.standard(),
            mistakes=MISTAKES_CORRELATION,
            window=window_correlation,
            hint=N_("output shape is (H - kh + 1, W - kw + 1); Y[i, j] = (X[i:i+kh, j:j+kw] * K).sum()"),
        ),
        Task(
            name="true_conv2d",
            summary=N_("valid 2-D convolution: the kernel flipped in both axes, then cross-correlated"),
            calls=calls_matrix_and_kernel,
            reference=reference_true_conv2d,
            examples=(ASYMMETRIC_KERNEL, ASYMMETRIC_EXAMPLE),
            checks=checks.standard(),
            mistakes=MISTAKES_CONVOLUTION,
            window=window_convolution,
            hint=N_("flip K along both axes (K.flip(0, 1)) and cross-correlate"),
        ),
    ),
))
