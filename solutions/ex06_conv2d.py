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
    ### BEGIN SOLUTION
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ValueError(f"padding_mode must be zeros, reflect, replicate or circular, got {padding_mode!r}")
    if input.dim() not in (3, 4) or weight.dim() != 4:
        raise RuntimeError(f"expected a 3-D or 4-D input and a 4-D weight, got {tuple(input.shape)} "
                           f"and {tuple(weight.shape)}")
    x = input if input.dim() == 4 else input.unsqueeze(0)
    N, C, H, W = x.shape
    C_out, per_group, kh, kw = weight.shape
    if groups <= 0 or C_out % groups or C != per_group * groups:
        raise RuntimeError(f"groups={groups} and weight {tuple(weight.shape)} need {per_group * groups} input "
                           f"channels and output channels divisible by groups; input is {tuple(input.shape)}")
    if bias is not None and tuple(bias.shape) != (C_out,):
        raise RuntimeError(f"expected a bias of shape ({C_out},), got {tuple(bias.shape)}")
    stride, dilation = pair(stride), pair(dilation)
    if padding == "same":
        if stride != (1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        sides = [(t // 2, t - t // 2) for t in totals]
    elif padding == "valid":
        sides = [(0, 0), (0, 0)]
    elif isinstance(padding, str):
        raise RuntimeError(f"invalid padding string {padding!r}")
    else:
        sides = [(p, p) for p in pair(padding)]

    def source_index(n: int, before: int, after: int) -> torch.Tensor:
        """For each position of one padded axis, the input position it copies."""
        if padding_mode == "reflect" and max(before, after) >= n:
            raise RuntimeError(f"reflect padding {before, after} must be smaller than the input size {n}")
        i = torch.arange(-before, n + after, device=x.device)
        if padding_mode == "reflect":
            return torch.where(i < 0, -i, torch.where(i >= n, 2 * (n - 1) - i, i))
        if padding_mode == "replicate":
            return i.clamp(0, n - 1)
        if max(before, after) > n:
            raise RuntimeError(f"circular padding {before, after} may not exceed the input size {n}")
        return i % n

    (top, bottom), (left, right) = sides
    if padding_mode == "zeros":
        xp = x.new_zeros(N, C, H + top + bottom, W + left + right)
        xp[..., top:top + H, left:left + W] = x
    else:
        xp = x.index_select(2, source_index(H, top, bottom)).index_select(3, source_index(W, left, right))
    cols = im2col(xp, (kh, kw), dilation, 0, stride)  # (N, C*kh*kw, L)
    Ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    cols = cols.reshape(N, groups, per_group * kh * kw, Ho * Wo)
    w = weight.reshape(groups, C_out // groups, per_group * kh * kw)
    out = torch.einsum("ngkl,gok->ngol", cols, w).reshape(N, C_out, Ho, Wo)
    if bias is not None:
        out = out + bias.reshape(1, C_out, 1, 1)
    return out if input.dim() == 4 else out[0]
    ### END SOLUTION


def im2col(input: torch.Tensor, kernel_size, dilation=1, padding=0, stride=1) -> torch.Tensor:
    """F.unfold: every receptive field of the zero-padded input (N, C, H, W) as one column.

    kernel_size, dilation, padding (zeros, on both sides) and stride: an int or an (h, w) pair.
    Returns (N, C*kh*kw, L), where L = H' * W' counts the window positions in row-major order
    and row c*kh*kw + i*kw + j holds input channel c at kernel offset (i, j): channel-major,
    then kernel row, then kernel column.
    """
    ### BEGIN SOLUTION
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = pair(kernel_size), pair(dilation), pair(padding), pair(stride)
    N, C, H, W = input.shape
    xp = input.new_zeros(N, C, H + 2 * ph, W + 2 * pw)
    xp[..., ph:ph + H, pw:pw + W] = input
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if span_h > xp.shape[2] or span_w > xp.shape[3]:
        raise RuntimeError(f"padded input {tuple(xp.shape[2:])} is smaller than the kernel's span "
                           f"{(span_h, span_w)}")
    windows = xp.unfold(2, span_h, sh).unfold(3, span_w, sw)[..., ::dh, ::dw]  # (N, C, H', W', kh, kw)
    Ho, Wo = windows.shape[2:4]
    return windows.permute(0, 1, 4, 5, 2, 3).reshape(N, C * kh * kw, Ho * Wo)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    g = grad_output if batched else grad_output.unsqueeze(0)
    N, C, H, W = x.shape
    C_out, per_group, kh, kw = weight.shape
    Ho, Wo = g.shape[2:]
    cols = im2col(x, (kh, kw), (dh, dw), (ph, pw), (sh, sw)).reshape(N, groups, per_group * kh * kw, Ho * Wo)
    g = g.reshape(N, groups, C_out // groups, Ho * Wo)
    w = weight.reshape(groups, C_out // groups, per_group * kh * kw)

    grad_weight = torch.einsum("ngkl,ngol->gok", cols, g).reshape(weight.shape)
    grad_bias = g.sum(dim=(0, 3)).reshape(C_out)
    grad_cols = torch.einsum("ngol,gok->ngkl", g, w).reshape(N, C, kh, kw, Ho, Wo)
    # col2im: each window entry goes back to the padded input pixel it was read from, adding up
    grad_xp = x.new_zeros(N, C, H + 2 * ph, W + 2 * pw)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (Ho - 1) + 1, sh)
            columns = slice(j * dw, j * dw + sw * (Wo - 1) + 1, sw)
            grad_xp[:, :, rows, columns] += grad_cols[:, :, i, j]
    grad_input = grad_xp[:, :, ph:ph + H, pw:pw + W]
    return (grad_input if batched else grad_input[0], grad_weight, grad_bias)
    ### END SOLUTION
