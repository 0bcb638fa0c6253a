"""Exercise 8: max and average pooling by hand.

Implement torch's 2-D max pooling and average pooling for batched (N, C, H, W) and unbatched
(C, H, W) inputs, with the same arguments and the same edge cases: a stride of None means the
kernel size, padding is at most half the kernel, max pooling pads with -inf, ceil_mode rounds the
number of windows up but never starts a window past the input and its left padding, and average
pooling chooses its divisor with count_include_pad. Every int argument may also be an (h, w) pair.

"By hand" means: no convolution, pooling, padding or unfold/fold helper of any library -- not
torch's (F.conv2d, F.pad, F.unfold, F.max_pool2d...), not numpy's (numpy.correlate,
numpy.convolve, numpy.pad), not scipy.signal's or scipy.ndimage's convolutions and filters,
not OpenCV's (cv2.filter2D, cv2.copyMakeBorder...). Indexing, slicing, sum, matmul, einsum,
Tensor.unfold, as_strided, sliding_window_view and the FFT are fine.
"""

import torch


Size = int | tuple[int, int]  # an int for both axes, or (height, width)


def _pool_windows(input: torch.Tensor, kernel_size: Size, stride: Size | None, padding: Size, dilation: Size,
                  ceil_mode: bool, fill: float) -> tuple[torch.Tensor, list[tuple[int, int, int, int]]]:
    """A helper for both functions (optional: only max_pool2d and avg_pool2d are graded).

    Returns (windows, axes).

    ``windows`` has shape (N, C, H_out, W_out, kh, kw) (the window of each output pixel, the
    padding filled with ``fill``; N is 1 for an unbatched input). ``axes`` holds, for height then
    width, (n, k, s, p): the input side, kernel, stride and padding. Raises RuntimeError, as
    torch does, for a padding larger than half the kernel or when no window fits."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def max_pool2d(input: torch.Tensor, kernel_size: Size, stride: Size | None = None, padding: Size = 0,
               dilation: Size = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Max pooling: input (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out)
    where, per axis, H_out = (H + 2p - d*(k-1) - 1) // s + 1, rounded up instead with ceil_mode
    but without a last window that would start in the right padding or beyond (at input row H or
    later). stride None means stride = kernel_size. Padding counts as -inf. Same dtype and device
    as the input."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def avg_pool2d(input: torch.Tensor, kernel_size: Size, stride: Size | None = None, padding: Size = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """Average pooling: shapes as max_pool2d with dilation 1. Each window's sum is divided by the
    window's size clipped to the padded input (count_include_pad=True; a ceil_mode window may run
    past it) or by the number of input pixels it covers (False)."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")
