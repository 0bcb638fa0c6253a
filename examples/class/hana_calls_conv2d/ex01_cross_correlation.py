import torch
import torch.nn.functional as F


def cust_conv2d(X, K):
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def true_conv2d(X, K):
    return F.conv2d(X[None, None], K.flip(0, 1)[None, None])[0, 0]
