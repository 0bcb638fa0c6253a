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
    ### BEGIN SOLUTION
    conv = nn.Conv2d(1, 1, kernel_size, bias=False).to(device=X.device, dtype=X.dtype)
    inputs, targets = X.reshape(1, 1, *X.shape), Y.reshape(1, 1, *Y.shape)
    for _ in range(steps):
        loss = ((conv(inputs) - targets) ** 2).mean()
        conv.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv.weight -= lr * conv.weight.grad
    return conv.weight.detach()[0, 0]
    ### END SOLUTION
