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
    ### BEGIN SOLUTION
    h, w = input_shape
    kh, kw = K.shape
    oh, ow = h - kh + 1, w - kw + 1
    C = torch.zeros(oh, ow, h, w, dtype=K.dtype, device=K.device)
    for i in range(oh):
        for j in range(ow):
            C[i, j, i:i + kh, j:j + kw] = K
    return C.reshape(oh * ow, h * w)
    ### END SOLUTION


def trans_conv2d(Y: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Single-channel transposed convolution, stride 1, no padding: Y (h, w), K (kh, kw) ->
    Z (h + kh - 1, w + kw - 1), the sum over (i, j) of Y[i, j] * K placed with its top-left corner
    at (i, j). Equals (conv_matrix(K, Z.shape).T @ Y.flatten()) reshaped. Same dtype and device as Y."""
    ### BEGIN SOLUTION
    h, w = Y.shape
    kh, kw = K.shape
    Z = torch.zeros(h + kh - 1, w + kw - 1, dtype=Y.dtype, device=Y.device)
    for i in range(h):
        for j in range(w):
            Z[i:i + kh, j:j + kw] += Y[i, j] * K
    return Z
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    def pair(v: IntOrPair) -> tuple[int, int]:
        return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))

    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(pair, (stride, padding, output_padding, dilation))
    unbatched = input.dim() == 3
    x = input[None] if unbatched else input
    n, c_in, h, w = x.shape
    _, c_out_g, kh, kw = weight.shape
    if weight.shape[0] % groups:
        raise RuntimeError(f"groups={groups} does not divide the weight's {weight.shape[0]} input channels")
    if c_in != weight.shape[0]:
        raise RuntimeError(f"the weight expects {weight.shape[0]} input channels, got {c_in}")
    for op, s, d in ((oph, sh, dh), (opw, sw, dw)):
        if op >= s and op >= d:
            raise RuntimeError(f"output_padding {op} must be smaller than either stride {s} or dilation {d}")
    h_full = (h - 1) * sh + dh * (kh - 1) + 1 + oph  # before padding is cropped
    w_full = (w - 1) * sw + dw * (kw - 1) + 1 + opw
    h_out, w_out = h_full - 2 * ph, w_full - 2 * pw
    if h_out <= 0 or w_out <= 0:
        raise RuntimeError(f"the output size ({h_out} x {w_out}) is too small")

    xg = x.reshape(n, groups, c_in // groups, h, w)
    wg = weight.reshape(groups, c_in // groups, c_out_g, kh, kw)
    full = torch.zeros(n, groups, c_out_g, h_full, w_full, dtype=input.dtype, device=input.device)
    for a in range(kh):
        for b in range(kw):
            tap = torch.einsum("ngchw,gco->ngohw", xg, wg[..., a, b])
            full[..., a * dh:a * dh + (h - 1) * sh + 1:sh, b * dw:b * dw + (w - 1) * sw + 1:sw] += tap
    out = full[..., ph:ph + h_out, pw:pw + w_out].reshape(n, groups * c_out_g, h_out, w_out)
    if bias is not None:
        out = out + bias[:, None, None]
    return out[0] if unbatched else out
    ### END SOLUTION
