"""Exercise 6: the full 2-D convolution layer by hand.

Rebuild what ``F.conv2d`` and ``nn.Conv2d`` compute (batches, channels, groups, stride,
padding, dilation, bias, padding modes), the im2col rearrangement behind fast convolutions,
and the backward pass of a convolution, without torch's convolution, padding, unfold/fold or
autograd helpers. ``Tensor.unfold``, ``as_strided``, indexing and ``einsum`` are allowed.

"By hand" means: no convolution, pooling, padding or unfold/fold helper of any library -- not
torch's (F.conv2d, F.pad, F.unfold, F.max_pool2d...), not numpy's (numpy.correlate,
numpy.convolve, numpy.pad), not scipy.signal's or scipy.ndimage's convolutions and filters,
not OpenCV's (cv2.filter2D, cv2.copyMakeBorder...). Indexing, slicing, sum, matmul, einsum,
Tensor.unfold, as_strided, sliding_window_view and the FFT are fine.
"""

import torch


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1,
           padding=0, dilation=1, groups: int = 1, padding_mode: str = "zeros") -> torch.Tensor:
    """2-D convolution (cross-correlation) with F.conv2d's semantics and nn.Conv2d's padding_mode.

    input (N, C_in, H, W) or unbatched (C_in, H, W); weight (C_out, C_in // groups, kh, kw);
    bias (C_out,) or None. stride and dilation: an int or (sh, sw). padding: an int, (ph, pw),
    "valid" (none) or "same" (output size = input size; stride 1 only; dilation*(k-1) pixels
    per axis, the smaller half before, the extra one after). padding_mode: "zeros", "reflect",
    "replicate" or "circular": how the padded border is filled, as nn.Conv2d fills it.
    The channels split into ``groups`` contiguous blocks: output block g sees input block g only.
    Output (N, C_out, H', W') (unbatched: (C_out, H', W')) with
    H' = (H + top + bottom - dilation*(kh-1) - 1) // sh + 1, and likewise W'.
    Invalid arguments raise what torch raises (RuntimeError; ValueError for padding_mode).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def im2col(input: torch.Tensor, kernel_size, dilation=1, padding=0, stride=1) -> torch.Tensor:
    """F.unfold: every receptive field of the zero-padded input (N, C, H, W) as one column.

    kernel_size, dilation, padding (zeros, on both sides) and stride: an int or an (h, w) pair.
    Returns (N, C*kh*kw, L), where L = H' * W' counts the window positions in row-major order
    and row c*kh*kw + i*kw + j holds input channel c at kernel offset (i, j): channel-major,
    then kernel row, then kernel column.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def conv2d_backward(grad_output: torch.Tensor, input: torch.Tensor, weight: torch.Tensor, stride=1,
                    padding=0, dilation=1, groups: int = 1) -> tuple:
    """The gradients of conv2d (zeros padding, with a bias) given the gradient of its output.

    input (N, C_in, H, W), weight (C_out, C_in // groups, kh, kw) and grad_output
    (N, C_out, H', W'), the shape of conv2d(input, weight, bias, stride, padding, dilation,
    groups)'s output; stride, padding and dilation an int or an (h, w) pair. An unbatched
    input (C_in, H, W) with grad_output (C_out, H', W') is accepted too, as conv2d accepts it.
    Returns (grad_input, grad_weight, grad_bias), shaped like input, weight and (C_out,).
    Input pixels that no window reaches (rows and columns a stride skips at the end) get a zero
    gradient; where windows overlap, their contributions add up.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")
