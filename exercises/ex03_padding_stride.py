"""Exercise 3: padding and stride.

Pad a tensor's last two dimensions in the four modes torch knows, work out where
padding="same" puts its pixels, and write a single-channel convolution with stride, padding
and dilation, all without torch's padding and convolution helpers.

"By hand" means: no convolution, pooling, padding or unfold/fold helper of any library -- not
torch's (F.conv2d, F.pad, F.unfold, F.max_pool2d...), not numpy's (numpy.correlate,
numpy.convolve, numpy.pad), not scipy.signal's or scipy.ndimage's convolutions and filters,
not OpenCV's (cv2.filter2D, cv2.copyMakeBorder...). Indexing, slicing, sum, matmul, einsum,
Tensor.unfold, as_strided, sliding_window_view and the FFT are fine.
"""

from __future__ import annotations

import torch


def pad2d(X: torch.Tensor, padding: tuple[int, int, int, int], mode: str = "zeros") -> torch.Tensor:
    """Pad the last two dimensions of X (..., H, W), any number of leading dimensions, with
    padding = (left, right, top, bottom) -> (..., H + top + bottom, W + left + right).

    mode "zeros" fills with 0; "reflect" mirrors the input without repeating its border
    (each padding must be smaller than the side it pads); "replicate" repeats the border;
    "circular" wraps around (each padding at most the side it pads). Invalid paddings raise
    RuntimeError, as torch does. Same dtype and device as X.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) for one axis so that a stride-1 convolution keeps the input size, as torch's
    padding="same" places it: dilation * (kernel_size - 1) pixels in all, the odd one after."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def conv2d_strided(X: torch.Tensor, K: torch.Tensor, stride: int | tuple[int, int] = 1,
                   padding: int | tuple[int, int] | str = 0, dilation: int | tuple[int, int] = 1) -> torch.Tensor:
    """Single-channel cross-correlation: X (H, W), K (kh, kw) -> (H', W') with
    H' = (H + 2*ph - dh*(kh-1) - 1) // sh + 1 (W' likewise). stride and dilation: an int or (sh, sw);
    padding: an int, (ph, pw), "valid" (none) or "same" (output size = input size; stride 1 only).
    Raises RuntimeError where torch does. Same dtype and device as X.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")

