"""Exercise 7: transposed convolution.

A valid cross-correlation is linear in its input, so it is a matrix C acting on the flattened
input. Multiplying by C^T instead maps an output-sized tensor back to the input's size: that is
the transposed convolution, where every input pixel adds a scaled copy of the kernel to the
result. Build C, the single-channel transposed convolution, and the general one with
stride, padding, output_padding, groups, dilation and bias, as torch.nn.functional defines it.
No torch convolution, padding or autograd helpers.

"By hand" means: no convolution, pooling, padding or unfold/fold helper of any library -- not
torch's (F.conv2d, F.pad, F.unfold, F.max_pool2d...), not numpy's (numpy.correlate,
numpy.convolve, numpy.pad), not scipy.signal's or scipy.ndimage's convolutions and filters,
not OpenCV's (cv2.filter2D, cv2.copyMakeBorder...). Indexing, slicing, sum, matmul, einsum,
Tensor.unfold, as_strided, sliding_window_view and the FFT are fine.
"""

from collections.abc import Sequence

import torch

IntOrPair = int | Sequence[int]


def conv_matrix(K: torch.Tensor, input_shape: Sequence[int]) -> torch.Tensor:
    """The valid cross-correlation with K (kh, kw) on inputs of shape input_shape = (H, W) (a
    tuple, list or torch.Size), as a dense matrix C of shape ((H - kh + 1) * (W - kw + 1), H * W):
    C @ X.flatten() == cust_conv2d(X, K).flatten(). Same dtype and device as K."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def trans_conv2d(Y: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Single-channel transposed convolution, stride 1, no padding: Y (h, w), K (kh, kw) ->
    Z (h + kh - 1, w + kw - 1), the sum over (i, j) of Y[i, j] * K placed with its top-left corner
    at (i, j). Equals (conv_matrix(K, Z.shape).T @ Y.flatten()) reshaped. Same dtype and device as Y."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")


def conv_transpose2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: IntOrPair = 1, padding: IntOrPair = 0, output_padding: IntOrPair = 0,
                     groups: int = 1, dilation: IntOrPair = 1) -> torch.Tensor:
    """torch.nn.functional.conv_transpose2d by hand.

    input (N, C_in, H, W) or unbatched (C_in, H, W); weight (C_in, C_out // groups, kh, kw);
    bias (C_out,) or None. stride, padding, output_padding and dilation are ints or (h, w) pairs.
    Output (N, C_out, H_out, W_out) (unbatched: (C_out, H_out, W_out)) with
    H_out = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1.
    Input channel c (in group g = c // (C_in // groups)) adds input[c, i, j] * weight[c, o, a, b]
    to output channel g * (C_out // groups) + o at row i * stride + a * dilation - padding and
    column j * stride + b * dilation - padding. Raises RuntimeError where torch does: groups not
    dividing C_in, C_in not matching the weight, output_padding not smaller than either the
    stride or the dilation of its axis, an empty output.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")
