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
    ### BEGIN SOLUTION
    def pair(v: Size) -> tuple[int, int]:
        return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))

    x = input if input.dim() == 4 else input.unsqueeze(0)
    kernel, pad, dil = pair(kernel_size), pair(padding), pair(dilation)
    step = kernel if stride is None else pair(stride)
    axes, spans, outs, lengths = [], [], [], []
    for n, k, s, p, d in zip(x.shape[-2:], kernel, step, pad, dil):
        if p > k // 2:
            raise RuntimeError(f"pad should be at most half of the kernel size, but got pad={p}, kernel_size={k}")
        span = d * (k - 1) + 1
        out = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= n + p:
            out -= 1  # the last window would start in the right padding
        if out < 1:
            raise RuntimeError(f"output size is too small: no window of {span} fits in {n} + 2*{p} pixels")
        axes.append((n, k, s, p))
        spans.append(span)
        outs.append(out)
        lengths.append(max(n + p, (out - 1) * s + span))  # windows may run past the padding
    (H, W), (ph, pw) = x.shape[-2:], pad
    padded = x.new_full((*x.shape[:-2], *lengths), fill)
    padded[..., ph:ph + H, pw:pw + W] = x
    windows = padded.unfold(-2, spans[0], step[0]).unfold(-2, spans[1], step[1])  # (N, C, *, *, span_h, span_w)
    return windows[:, :, :outs[0], :outs[1], ::dil[0], ::dil[1]], axes
    ### END SOLUTION


def max_pool2d(input: torch.Tensor, kernel_size: Size, stride: Size | None = None, padding: Size = 0,
               dilation: Size = 1, ceil_mode: bool = False) -> torch.Tensor:
    """Max pooling: input (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out)
    where, per axis, H_out = (H + 2p - d*(k-1) - 1) // s + 1, rounded up instead with ceil_mode
    but without a last window that would start in the right padding or beyond (at input row H or
    later). stride None means stride = kernel_size. Padding counts as -inf. Same dtype and device
    as the input."""
    ### BEGIN SOLUTION
    windows, _ = _pool_windows(input, kernel_size, stride, padding, dilation, ceil_mode, float("-inf"))
    out = windows.amax(dim=(-2, -1))
    return out if input.dim() == 4 else out[0]
    ### END SOLUTION


def avg_pool2d(input: torch.Tensor, kernel_size: Size, stride: Size | None = None, padding: Size = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> torch.Tensor:
    """Average pooling: shapes as max_pool2d with dilation 1. Each window's sum is divided by the
    window's size clipped to the padded input (count_include_pad=True; a ceil_mode window may run
    past it) or by the number of input pixels it covers (False)."""
    ### BEGIN SOLUTION
    windows, axes = _pool_windows(input, kernel_size, stride, padding, 1, ceil_mode, 0.0)
    counts = []
    for (n, k, s, p), out in zip(axes, windows.shape[2:4]):
        start = torch.arange(out, device=input.device) * s - p
        end = torch.clamp(start + k, max=n + p)
        counts.append(end - start if count_include_pad else end.clamp(max=n) - start.clamp(min=0))
    divisor = (counts[0][:, None] * counts[1][None, :]).to(input.dtype)
    out = windows.sum(dim=(-2, -1)) / divisor
    return out if input.dim() == 4 else out[0]
    ### END SOLUTION
