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
        ### BEGIN SOLUTION
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(),
        )
        self.classifier = nn.Conv2d(32, num_classes, kernel_size=1)
        self.upsample = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=4, stride=2, padding=1)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        scores = self.classifier(self.features(x))
        # Doubling h // 2 gives h or h - 1: output_size picks the output_padding that restores h.
        return self.upsample(scores, output_size=x.shape[-2:])
        ### END SOLUTION
