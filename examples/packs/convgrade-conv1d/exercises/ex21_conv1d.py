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
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")
