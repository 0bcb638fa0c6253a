"""Exercise 5: several input and output channels, and the 1x1 convolution.

An image with C channels is a (C, H, W) tensor. A kernel for it holds one (kh, kw) slice per
channel; each channel is cross-correlated with its slice and the C maps are added into one.
Several such kernels, stacked as (O, C, kh, kw), give O output channels. A 1x1 kernel only mixes
channels at each pixel, which is one matrix product. No torch convolution helpers.

"By hand" means: no convolution, pooling, padding or unfold/fold helper of any library -- not
torch's (F.conv2d, F.pad, F.unfold, F.max_pool2d...), not numpy's (numpy.correlate,
numpy.convolve, numpy.pad), not scipy.signal's or scipy.ndimage's convolutions and filters,
not OpenCV's (cv2.filter2D, cv2.copyMakeBorder...). Indexing, slicing, sum, matmul, einsum,
Tensor.unfold, as_strided, sliding_window_view and the FFT are fine.
"""

import torch


def conv2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Multi-input-channel cross-correlation: X (C, H, W), K (C, kh, kw) ->
    Y (H - kh + 1, W - kw + 1) with Y[i, j] = sum over c, a, b of X[c, i + a, j + b] * K[c, a, b].
    Same dtype and device as X."""
    ### BEGIN SOLUTION
    _, kh, kw = K.shape
    windows = X.unfold(1, kh, 1).unfold(2, kw, 1)  # (C, H - kh + 1, W - kw + 1, kh, kw)
    return torch.einsum("cijab,cab->ij", windows, K)
    ### END SOLUTION


def conv2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Multi-input, multi-output cross-correlation: X (C, H, W), K (O, C, kh, kw) ->
    Y (O, H - kh + 1, W - kw + 1), where Y[o] = conv2d_multi_in(X, K[o])."""
    ### BEGIN SOLUTION
    return torch.stack([conv2d_multi_in(X, k) for k in K])
    ### END SOLUTION


def conv2d_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """1x1 convolution: X (C, H, W), K (O, C, 1, 1) -> Y (O, H, W) with
    Y[o, i, j] = sum over c of K[o, c, 0, 0] * X[c, i, j], computed as one matrix product
    (no Python loop over pixels or channels)."""
    ### BEGIN SOLUTION
    c, h, w = X.shape
    return (K.reshape(K.shape[0], c) @ X.reshape(c, h * w)).reshape(-1, h, w)
    ### END SOLUTION
