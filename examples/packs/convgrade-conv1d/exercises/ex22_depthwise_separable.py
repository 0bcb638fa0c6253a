"""Exercise 22: depthwise-separable convolution by hand.

A per-channel convolution (each channel with its own kernel: groups = C_in), then a 1x1
convolution that mixes the channels, without torch's convolution, padding or unfold/fold helpers.
``Tensor.unfold``, indexing, ``zeros`` and ``einsum`` are allowed.
"""

import torch


def depthwise_separable_conv2d(input: torch.Tensor, depthwise_weight: torch.Tensor, pointwise_weight: torch.Tensor,
                               bias: torch.Tensor | None = None, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """input (N, C, H, W) or unbatched (C, H, W); depthwise_weight (C, 1, kh, kw): channel c is
    cross-correlated with its own kernel depthwise_weight[c, 0], using stride, padding (an int or
    (ph, pw), zeros) and dilation (an int or (dh, dw)); pointwise_weight (C_out, C, 1, 1) then
    mixes the channels at every pixel, and bias (C_out,) or None is added.
    Output (N, C_out, H', W') (unbatched: (C_out, H', W')), H' = (H + 2ph - dh*(kh-1) - 1) // sh + 1.
    Invalid shapes raise RuntimeError, as torch does.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")
