"""Every claim of the ledger, in the order the notes make them."""

from __future__ import annotations

from grader.ledger.claims import channels, code, networks, shapes, transposed
from grader.ledger.record import Claim


def _in_order() -> tuple[Claim, ...]:
    claims = (*shapes.CLAIMS, *channels.CLAIMS, *transposed.CLAIMS, *networks.CLAIMS_CNNNET,
              *networks.CLAIMS_LEARNED_KERNEL, *networks.CLAIMS_RECEPTIVE_FIELD, *networks.CLAIMS_FCN,
              *code.CROSS_CORRELATION, *code.CHANNELS, *code.CNNNET)
    by_id = {c.id: c for c in claims}
    order = (
        "cnnnet-features-1296", "listing-cnnnet-logits",  # 1 the CNNNet
        "valid-output-size", "listing-cust-conv2d",  # 2 the convolution layer
        "learned-kernel-loss", "learned-kernel-values",  # 2.1 kernels
        "same-padding", "conv-output-size",  # 2.3 padding
        "multi-input-sum", "listing-conv2d-multi-in", "multi-output-stack", "one-by-one-matmul",  # 2.4 channels
        "groups-side-by-side", "conv2d-h-out", "conv2d-weight-shape",  # 2.6 nn.Conv2d
        "conv-as-sparse-matrix", "transposed-is-ct", "transposed-inverts", "backward-is-transposed",
        "transposed-output-size",  # 2.7 transposed convolution
        "receptive-field-grows",  # 2.8 receptive fields
        "fcn-any-input-size", "fcn-restores-size",  # 2.9 fully convolutional networks
    )
    if len(by_id) != len(claims) or sorted(order) != sorted(by_id) or len(set(order)) != len(order):
        raise ValueError(f"claims out of order or missing: {sorted(set(by_id) ^ set(order))}")
    return tuple(by_id[i] for i in order)


CLAIMS: tuple[Claim, ...] = _in_order()
