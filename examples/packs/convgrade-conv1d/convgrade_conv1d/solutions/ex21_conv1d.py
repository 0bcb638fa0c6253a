"""Exercise 21: the 1-D convolution layer by hand.

Rebuild what ``F.conv1d`` computes (batches, channels, groups, stride, padding, dilation, bias)
without torch's convolution, padding or unfold/fold helpers. ``Tensor.unfold``, indexing,
``zeros`` and ``einsum`` are allowed.
"""

import torch


def conv1d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> torch.Tensor:
    """1-D convolution (cross-correlation) with F.conv1d's semantics.

    input (N, C_in, L) or unbatched (C_in, L); weight (C_out, C_in // groups, k); bias (C_out,)
    or None. stride and dilation: an int or (s,). padding: an int, (p,), "valid" (none) or
    "same" (output length = L; stride 1 only; dilation*(k-1) zeros, the smaller half before).
    The channels split into ``groups`` contiguous blocks: output block g sees input block g only.
    Output (N, C_out, L') (unbatched: (C_out, L')) with
    L' = (L + before + after - dilation*(k-1) - 1) // stride + 1.
    Invalid arguments raise RuntimeError, as torch does.
    """
    ### BEGIN SOLUTION
    def one(v):
        return v if isinstance(v, (int, str)) else v[0]

    stride, padding, dilation = one(stride), one(padding), one(dilation)
    if input.dim() not in (2, 3) or weight.dim() != 3:
        raise RuntimeError(f"expected a 2-D or 3-D input and a 3-D weight, got {tuple(input.shape)}")
    if stride < 1 or dilation < 1 or groups < 1:
        raise RuntimeError("stride, dilation and groups must be positive")
    x = input if input.dim() == 3 else input[None]
    n, channels, length = x.shape
    out_channels, per_group, k = weight.shape
    if out_channels % groups or channels != per_group * groups:
        raise RuntimeError(f"groups={groups}: weight {tuple(weight.shape)} does not fit {channels} input channels")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"expected a bias of {out_channels} entries, got {tuple(bias.shape)}")
    total = dilation * (k - 1)
    if padding == "valid":
        before = after = 0
    elif padding == "same":
        if stride != 1:
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        before, after = total // 2, total - total // 2
    elif isinstance(padding, str):
        raise RuntimeError(f"Invalid padding string: {padding!r}")
    else:
        before = after = padding
    if length + before + after < total + 1:
        raise RuntimeError("kernel size can't be greater than the padded input size")
    padded = x.new_zeros(n, channels, length + before + after)
    padded[..., before:before + length] = x
    windows = padded.unfold(-1, total + 1, stride)[..., ::dilation]  # (N, C_in, L', k)
    windows = windows.reshape(n, groups, per_group, windows.shape[-2], k)
    out = torch.einsum("ngcla,goca->ngol", windows, weight.reshape(groups, out_channels // groups, per_group, k))
    out = out.reshape(n, out_channels, -1)
    if bias is not None:
        out = out + bias[:, None]
    return out if input.dim() == 3 else out[0]
    ### END SOLUTION
