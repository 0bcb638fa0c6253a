"""Exercise 2: learning a kernel by gradient descent.

Given an input X and the output Y that some unknown kernel produced from it (valid
cross-correlation, stride 1), find a kernel that reproduces Y by repeatedly stepping against the
gradient of the mean squared error. torch's convolution and autograd may be used here; solving
the least-squares problem in closed form may not.
"""

import torch
from torch import nn


def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size: int | tuple[int, int], lr: float = 0.001,
                 steps: int = 400) -> torch.Tensor:
    """X (H, W), Y (H - kh + 1, W - kw + 1); kernel_size an int or (kh, kw). Run ``steps`` steps
    of plain gradient descent with learning rate ``lr`` on mean((conv(X, K) - Y) ** 2) and return
    the kernel K, shape (kh, kw), with X's dtype and device."""
    # YOUR CODE HERE
    raise NotImplementedError("not implemented yet")
