"""Exercise 1: cross-correlation by hand.

Implement valid 2-D cross-correlation (what deep-learning libraries call convolution) and the
mathematical convolution, for one channel and stride 1, without torch's convolution helpers.

"By hand" means: no convolution, pooling, padding or unfold/fold helper of any library -- not
torch's (F.conv2d, F.pad, F.unfold, F.max_pool2d...), not numpy's (numpy.correlate,
numpy.convolve, numpy.pad), not scipy.signal's or scipy.ndimage's convolutions and filters,
not OpenCV's (cv2.filter2D, cv2.copyMakeBorder...). Indexing, slicing, sum, matmul, einsum,
Tensor.unfold, as_strided, sliding_window_view and the FFT are fine.
"""

import torch


def cust_conv2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Valid cross-correlation: X (H, W), K (kh, kw) -> Y (H - kh + 1, W - kw + 1) with
    Y[i, j] = sum over a, b of X[i + a, j + b] * K[a, b]. Same dtype and device as X."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def true_conv2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Valid convolution: cross-correlation with K flipped in both axes. Same shapes as
    cust_conv2d."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")
