"""Exercise 11: a fully convolutional network for per-pixel classification.

No layer of the network depends on the input's size: convolutions extract features at half
resolution, a 1x1 convolution turns each feature vector into class scores, and a transposed
convolution brings the scores back to the input's height and width, whatever they are.
"""

import torch
from torch import nn


class FCN(nn.Module):
    """FCN(in_channels=3, num_classes=2): (N, in_channels, H, W) -> per-pixel class scores
    (N, num_classes, H, W) for any H, W >= 2. No fully connected layer."""

    def __init__(self, in_channels: int = 3, num_classes: int = 2):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError("not implemented yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError("not implemented yet")
