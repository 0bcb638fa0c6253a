"""The value every check passes around: one call of a student's function, with its arguments
(a module of its own, below the records and the outcomes that both name it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Call:
    """One invocation of a student's function: its arguments, as the judge holds them.

    Tensors here are float64 CPU master copies; a check converts them to the dtype, device and
    memory layout it tests before they reach the student, and hands the master copies to the
    reference.
    """

    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""  # a name for a pinned example (N_("the notes' example")), empty for drawn ones
