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
    ### BEGIN SOLUTION
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    x = input if input.dim() == 4 else input[None]
    n, channels, height, width = x.shape
    if depthwise_weight.shape[0] != channels or depthwise_weight.shape[1] != 1:
        raise RuntimeError(f"expected depthwise_weight ({channels}, 1, kh, kw), got {tuple(depthwise_weight.shape)}")
    if pointwise_weight.shape[1:] != (channels, 1, 1):
        raise RuntimeError(f"expected pointwise_weight (C_out, {channels}, 1, 1), got {tuple(pointwise_weight.shape)}")
    kh, kw = depthwise_weight.shape[-2:]
    if height + 2 * ph < dh * (kh - 1) + 1 or width + 2 * pw < dw * (kw - 1) + 1:
        raise RuntimeError("kernel size can't be greater than the padded input size")
    padded = x.new_zeros(n, channels, height + 2 * ph, width + 2 * pw)
    padded[..., ph:ph + height, pw:pw + width] = x
    windows = padded.unfold(-2, dh * (kh - 1) + 1, sh)[..., ::dh].unfold(-2, dw * (kw - 1) + 1, sw)[..., ::dw]
    depthwise = torch.einsum("nchwab,cab->nchw", windows, depthwise_weight[:, 0])
    out = torch.einsum("nchw,oc->nohw", depthwise, pointwise_weight[:, :, 0, 0])
    if bias is not None:
        out = out + bias[:, None, None]
    return out if input.dim() == 4 else out[0]
    ### END SOLUTION
