"""Exercise 3: padding and stride.

Pad a tensor's last two dimensions in the four modes torch knows, work out where
padding="same" puts its pixels, and write a single-channel convolution with stride, padding
and dilation, all without torch's padding and convolution helpers.

"By hand" means: no convolution, pooling, padding or unfold/fold helper of any library -- not
torch's (F.conv2d, F.pad, F.unfold, F.max_pool2d...), not numpy's (numpy.correlate,
numpy.convolve, numpy.pad), not scipy.signal's or scipy.ndimage's convolutions and filters,
not OpenCV's (cv2.filter2D, cv2.copyMakeBorder...). Indexing, slicing, sum, matmul, einsum,
Tensor.unfold, as_strided, sliding_window_view and the FFT are fine.
"""

from __future__ import annotations

import torch


def pad2d(X: torch.Tensor, padding: tuple[int, int, int, int], mode: str = "zeros") -> torch.Tensor:
    """Pad the last two dimensions of X (..., H, W), any number of leading dimensions, with
    padding = (left, right, top, bottom) -> (..., H + top + bottom, W + left + right).

    mode "zeros" fills with 0; "reflect" mirrors the input without repeating its border
    (each padding must be smaller than the side it pads); "replicate" repeats the border;
    "circular" wraps around (each padding at most the side it pads). Invalid paddings raise
    RuntimeError, as torch does. Same dtype and device as X.
    """
    ### BEGIN SOLUTION
    def source(size: int, before: int, after: int) -> torch.Tensor:
        """For each position along a padded axis, the input position it copies."""
        if mode == "reflect" and max(before, after) >= size:
            raise RuntimeError(f"reflect padding ({before}, {after}) must be smaller than the size {size}")
        if mode == "circular" and max(before, after) > size:
            raise RuntimeError(f"circular padding ({before}, {after}) would wrap around more than once")
        i = torch.arange(-before, size + after, device=X.device)
        if mode == "replicate":
            return i.clamp(0, size - 1)
        if mode == "circular":
            return i.remainder(size)
        if mode == "reflect":
            return (size - 1) - ((size - 1) - i.abs()).abs()
        raise ValueError(f"unknown padding mode {mode!r}: use zeros, reflect, replicate or circular")

    left, right, top, bottom = padding
    h, w = X.shape[-2:]
    if mode == "zeros":
        out = X.new_zeros(*X.shape[:-2], h + top + bottom, w + left + right)
        out[..., top:top + h, left:left + w] = X
        return out
    return X[..., source(h, top, bottom), :][..., source(w, left, right)]
    ### END SOLUTION


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) for one axis so that a stride-1 convolution keeps the input size, as torch's
    padding="same" places it: dilation * (kernel_size - 1) pixels in all, the odd one after."""
    ### BEGIN SOLUTION
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2
    ### END SOLUTION


def conv2d_strided(X: torch.Tensor, K: torch.Tensor, stride: int | tuple[int, int] = 1,
                   padding: int | tuple[int, int] | str = 0, dilation: int | tuple[int, int] = 1) -> torch.Tensor:
    """Single-channel cross-correlation: X (H, W), K (kh, kw) -> (H', W') with
    H' = (H + 2*ph - dh*(kh-1) - 1) // sh + 1 (W' likewise). stride and dilation: an int or (sh, sw);
    padding: an int, (ph, pw), "valid" (none) or "same" (output size = input size; stride 1 only).
    Raises RuntimeError where torch does. Same dtype and device as X.
    """
    ### BEGIN SOLUTION
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    kh, kw = K.shape
    if padding == "same":
        if (sh, sw) != (1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        (top, bottom), (left, right) = same_padding(kh, dh), same_padding(kw, dw)
    elif padding == "valid":
        top = bottom = left = right = 0
    else:
        top, left = (padding, padding) if isinstance(padding, int) else padding
        bottom, right = top, left
    Xp = pad2d(X, (left, right, top, bottom))
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if span_h > Xp.shape[0] or span_w > Xp.shape[1]:
        raise RuntimeError(f"the kernel spans {span_h}x{span_w} pixels, more than the padded input "
                           f"{tuple(Xp.shape)}")
    windows = Xp.unfold(0, span_h, sh).unfold(1, span_w, sw)[..., ::dh, ::dw]
    return torch.einsum("ijab,ab->ij", windows, K)
    ### END SOLUTION

