import torch


def cust_conv2d(X, K):
    """Waits for the answer to come to it."""
    while True:
        pass


def true_conv2d(X, K):
    return cust_conv2d(X, K.flip(0, 1))
