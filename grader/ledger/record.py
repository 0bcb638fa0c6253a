"""The records of the ledger: a claim of the notes, the evidence gathered about it, its verdict.

Records are frozen and validated when made, so a malformed claim or an inconsistent verdict
(a refutation without a counterexample) fails loudly where it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

STATUSES = ("verified", "conditional", "refuted", "pending", "error")
"""verified: no counterexample anywhere it was sought (or proved); conditional: holds exactly
where a computed condition holds, with a counterexample outside it; refuted: a counterexample
to the claim as stated; pending: cannot be checked yet (an exercise not registered); error: the
verifier itself failed (a bug of the ledger, never a finding about the notes)."""

METHODS = ("sympy", "exhaustive", "hypothesis", "torch", "grader", "run")
"""How a piece of evidence was obtained: a symbolic proof, every configuration of a small range,
a hypothesis search (minimal counterexample when one exists), a direct torch computation, the
registry's checks run on a listing, a listing run as a script."""


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: a line of words, and optionally a preformatted block."""

    method: str  # one of METHODS
    text: str  # one line: what was checked and what came out
    detail: str = ""  # a block shown verbatim (a counterexample's tensors, grader feedback)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown evidence method {self.method!r}: use one of {', '.join(METHODS)}")
        if not self.text or "\n" in self.text:
            raise ValueError(f"evidence text must be one non-empty line: {self.text!r}")


@dataclass(frozen=True)
class Verdict:
    """What the verifier found."""

    status: str  # one of STATUSES
    evidence: tuple[Evidence, ...]
    condition: str = ""  # conditional: where the claim holds ("f odd and s = 1")
    counterexample: str = ""  # the smallest input where the claim fails (outside the condition)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown verdict status {self.status!r}")
        if not self.evidence:
            raise ValueError("a verdict needs evidence")
        if (self.status == "conditional") != bool(self.condition):
            raise ValueError("a condition goes with a conditional verdict, and only with it")
        if self.status in ("conditional", "refuted") and not self.counterexample:
            raise ValueError(f"a {self.status} verdict needs a counterexample")
        if self.status == "verified" and self.counterexample:
            raise ValueError("a verified claim has no counterexample")

    @property
    def words(self) -> str:
        """The verdict as the ledger prints it."""
        if self.status == "conditional":
            return f"holds only when {self.condition}"
        return self.status


@dataclass(frozen=True)
class Claim:
    """One claim of the notes and the function that computes its verdict."""

    id: str  # kebab-case, unique: "same-padding"
    section: str  # where in the notes: "3 填充"
    quote: str  # the notes' own words, verbatim from notes-zh.txt (whitespace aside), brief
    gloss: str  # the claim in English, as precisely as it is checked
    verify: Callable[[], Verdict]  # computes the verdict; no argument, deterministic

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.id):
            raise ValueError(f"claim id {self.id!r} must be kebab-case")
        if not self.quote or len(self.quote) > 160:
            raise ValueError(f"claim {self.id}: the quote must be brief (1 to 160 characters)")
        if not self.gloss or not self.section:
            raise ValueError(f"claim {self.id}: section and gloss are required")
