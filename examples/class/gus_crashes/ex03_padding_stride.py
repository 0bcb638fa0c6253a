import ctypes

import torch


def pad2d(X, padding, mode="zeros"):
    return ctypes.string_at(0)  # reads address 0: a segmentation fault


def same_padding(kernel_size, dilation=1):
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def conv2d_strided(X, K, stride=1, padding=0, dilation=1):
    import os
    os._exit(1)
