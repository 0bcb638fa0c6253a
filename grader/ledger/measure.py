"""Sizes as torch produces them: the ground truth the size claims are checked against.

Each function runs torch's own operation and reads the shape; None means torch refuses the
configuration (outside the claim's domain). Convolution runs on meta tensors (shapes only);
the transposed convolution runs on tiny CPU tensors, because on meta tensors torch skips its
``output_padding < max(stride, dilation)`` check.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn


@functools.cache
def conv2d_shape(h: int, w: int, kh: int, kw: int) -> tuple[int, int] | None:
    """(H_out, W_out) of a valid, stride-1 convolution of an (h, w) input with a (kh, kw) kernel."""
    try:
        out = F.conv2d(torch.empty(1, 1, h, w, device="meta"), torch.empty(1, 1, kh, kw, device="meta"))
    except RuntimeError:
        return None
    return tuple(out.shape[2:])


@functools.cache
def conv_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int | None:
    """The height torch's conv2d gives an (n, 1) input with a (k, 1) kernel and (stride, 1),
    (padding, 0), (dilation, 1): index [0] of each pair is the height."""
    try:
        out = F.conv2d(torch.empty(1, 1, n, 1, device="meta"), torch.empty(1, 1, k, 1, device="meta"),
                       stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1))
    except RuntimeError:
        return None
    return out.shape[2]


@functools.cache
def conv_transpose_size(n: int, k: int, stride: int = 1, padding: int = 0, output_padding: int = 0,
                        dilation: int = 1) -> int | None:
    """The height torch's conv_transpose2d gives an (n, 1) input, as :func:`conv_size` measures."""
    try:
        out = F.conv_transpose2d(torch.zeros(1, 1, n, 1), torch.zeros(1, 1, k, 1), stride=(stride, 1),
                                 padding=(padding, 0), output_padding=(output_padding, 0),
                                 dilation=(dilation, 1))
    except RuntimeError:
        return None
    return out.shape[2]


@functools.cache
def weight_shape(in_channels: int, out_channels: int, kh: int, kw: int, groups: int) -> tuple[int, ...] | None:
    """The shape of nn.Conv2d's weight (None where nn.Conv2d refuses the groups)."""
    try:
        conv = nn.Conv2d(in_channels, out_channels, (kh, kw), groups=groups, bias=False, device="meta")
    except ValueError:
        return None
    return tuple(conv.weight.shape)
