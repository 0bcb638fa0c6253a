"""Helpers for tasks whose answer is a class (an ``nn.Module``), shared by their catalog files.

Such a task is graded through procedures (``ctx.run_procedure``): module-level functions of the
catalog that receive the student's class inside the target, build it, run it, and return plain
data. The helpers here are used inside procedures (:func:`seeded`, :func:`forward`) and by the
judge (:func:`named`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from grader.engine.exercise import Mistake
from grader.engine.outcome import Failure


def seeded(cls: type, seed: int, **kwargs: Any) -> Any:
    """``cls(**kwargs)`` built with the global RNG seeded, and the RNG left as it was afterwards
    (so the same submission always starts from the same weights)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(**kwargs)


def forward(model: Any, x: torch.Tensor) -> dict[str, Any]:
    """``{"out": model(x)}``, or ``{"raised": "Type: message"}`` when the forward pass raises, so a
    procedure can say which input broke it. A stub's NotImplementedError is let through: the
    target reports it as not implemented."""
    try:
        return {"out": model(x)}
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 (whatever the student's code raised is reported, not re-raised)
        text = str(exc).strip()
        return {"raised": f"{type(exc).__name__}: {text.splitlines()[0][:300]}" if text else type(exc).__name__}


def fit(model: Any, parameters: Any, x: torch.Tensor, labels: torch.Tensor, steps: int, lr: float) -> list[float]:
    """Train ``model`` with Adam on the cross-entropy of ``model(x)`` against class ``labels``
    (per image or per pixel) for ``steps`` steps; the loss before each step."""
    optimiser = torch.optim.Adam(parameters, lr=lr)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return losses


def named(failure: Failure, mistake: Mistake | None) -> Failure:
    """``failure`` naming ``mistake`` (and giving its hint), when there is one."""
    if mistake is not None:
        failure.mistake, failure.hint = mistake.name, mistake.hint
    return failure
