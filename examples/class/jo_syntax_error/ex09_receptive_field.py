"""Exercise 9: receptive fields.

Given the layers of a network along one axis, as (kernel_size, stride, padding, dilation)
tuples in the order the input meets them, compute the receptive field of a unit of the last
layer: how many input pixels it spans, how far apart (in input pixels) neighbouring units are,
and where the centre of the first unit's field lies in input pixel coordinates.
"""


def receptive_field(layers: list[tuple[int, int, int, int]]) -> tuple[int, int, float]:
    """(size, jump, start) for the stack ``layers`` (possibly empty).

    size: the width in input pixels of one last-layer unit's field (int).
    jump: the distance in input pixels between neighbouring last-layer units (int).
    start: the input coordinate of the centre of the first unit's field (float), where input
    pixel i is centred at i; padding can make it negative. No layers gives (1, 1, 0.0)."""
    ### BEGIN SOLUTION
    size, jump, start = 1, 1, 0.0
    for kernel, stride, padding, dilation in layers:
        span = dilation * (kernel - 1) + 1
        size += (span - 1) * jump
        start += ((span - 1) / 2 - padding) * jump
        jump *= stride
    return size, jump, start
    ### END SOLUTION
