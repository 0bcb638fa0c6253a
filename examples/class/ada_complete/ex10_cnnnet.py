"""Exercise 10: the small CNN of the notes.

Two convolution + max-pooling stages and two fully connected layers classify 3x32x32 images into
10 classes. flatten_size works out how many features reach the first fully connected layer from
the output-size formulas; CNNNet is the network itself, returning raw logits.
"""

import torch
import torch.nn.functional as F
from torch import nn


def flatten_size(input_hw: tuple[int, int] = (32, 32)) -> int:
    """The number of features entering fc1 for an input of height and width ``input_hw``:
    36 channels times the height and width left after conv1 (k5), pool1 (2, stride 2), conv2 (k3)
    and pool2 (2, stride 2), all without padding. 1296 = 36 * 6 * 6 for 32x32."""
    ### BEGIN SOLUTION
    def conv(n: int, k: int, stride: int = 1) -> int:
        return (n - k) // stride + 1

    h, w = (conv(conv(conv(conv(n, 5), 2, 2), 3), 2, 2) for n in input_hw)
    return 36 * h * w
    ### END SOLUTION


class CNNNet(nn.Module):
    """conv1 (3->16, k5) -> ReLU -> pool1 (max 2, stride 2) -> conv2 (16->36, k3) -> ReLU -> pool2
    (max 2, stride 2) -> flatten -> fc1 (1296->128) -> ReLU -> fc2 (128->10). Input (N, 3, 32, 32),
    output raw logits (N, 10): no activation after fc2 (nn.CrossEntropyLoss applies log-softmax
    itself)."""

    def __init__(self):
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(3, 16, kernel_size=5)
        self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(16, 36, kernel_size=3)
        self.pool2 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(flatten_size(), 128)
        self.fc2 = nn.Linear(128, 10)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = x.flatten(start_dim=1)
        return self.fc2(F.relu(self.fc1(x)))
        ### END SOLUTION
