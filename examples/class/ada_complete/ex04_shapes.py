"""Exercise 4: size formulas.

Work out, along one axis, how many outputs a convolution, a transposed convolution and a pooling
layer produce, and the shape and parameter count of a convolution's weight. Every function must
give the right int for int arguments and also accept sympy integer symbols, so that the grader
can prove the formula for all sizes at once: floor division is `//` (never `/` or `math.floor`),
and only flags (ceil_mode, bias) may be branched on, never the sizes themselves. The type
hints say int; a sympy integer symbol stands for any int.
"""

from __future__ import annotations


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Outputs of a convolution along one axis: n input pixels, kernel k, stride, padding on
    each side, dilation. The dilated kernel spans dilation*(k-1)+1 pixels of the padded input."""
    ### BEGIN SOLUTION
    span = dilation * (k - 1) + 1
    return (n + 2 * padding - span) // stride + 1
    ### END SOLUTION


def conv_transpose_output_size(n: int, k: int, stride: int = 1, padding: int = 0, output_padding: int = 0,
                               dilation: int = 1) -> int:
    """Outputs of a transposed convolution along one axis (the size map of conv_output_size run
    backwards; output_padding adds pixels on one side only)."""
    ### BEGIN SOLUTION
    return (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    ### END SOLUTION


def pool_output_size(n: int, k: int, stride: int | None = None, padding: int = 0, dilation: int = 1,
                     ceil_mode: bool = False) -> int:
    """Outputs of max/avg pooling along one axis. stride None means stride = k. With ceil_mode
    the division rounds up, but a last window that would start in the right padding is dropped."""
    ### BEGIN SOLUTION
    if stride is None:
        stride = k
    reach = n + 2 * padding - dilation * (k - 1) - 1
    if not ceil_mode:
        return reach // stride + 1
    size = (reach + stride - 1) // stride + 1
    if (size - 1) * stride >= n + padding:
        size -= 1
    return size
    ### END SOLUTION


def conv_weight_shape(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                      groups: int = 1) -> tuple[int, int, int, int]:
    """The shape of nn.Conv2d's weight: (out_channels, in_channels // groups, kh, kw); an int
    kernel_size k means (k, k)."""
    ### BEGIN SOLUTION
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    kh, kw = kernel_size
    return (out_channels, in_channels // groups, kh, kw)
    ### END SOLUTION


def conv_param_count(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int], groups: int = 1,
                     bias: bool = True) -> int:
    """How many numbers nn.Conv2d learns: the weight's entries, plus out_channels biases when
    bias is True."""
    ### BEGIN SOLUTION
    out, per_group, kh, kw = conv_weight_shape(in_channels, out_channels, kernel_size, groups)
    count = out * per_group * kh * kw
    if bias:
        count += out_channels
    return count
    ### END SOLUTION
