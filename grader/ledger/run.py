"""Evaluating the claims: each verifier runs on one torch thread (the tensors are tiny, and
threads only contend on a shared machine) with torch's generator seeded and restored, so the
ledger is the same on every run and leaves the caller's state alone. Measured numbers are
printed to :data:`DIGITS` significant digits: what a claim needs, and no digit that depends
on which CPU kernels computed it (the committed page must read the same on every machine). A claim whose listing is
not installed is pending; a verifier that raises otherwise is an error of the ledger, recorded
as such, and the other claims still run."""

from __future__ import annotations

import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import torch

from grader.engine.digits import significant_digits
from grader.ledger.record import Claim, Evidence, Verdict
from grader.ledger.subjects import ListingMissing

SEED = 0  # torch's generator, before each claim
DIGITS = 3  # significant digits of the numbers in the evidence (grader.engine.digits)


@dataclass(frozen=True)
class Entry:
    """A claim with its verdict."""

    claim: Claim
    verdict: Verdict
    seconds: float


@contextmanager
def one_thread() -> Iterator[None]:
    """One intra-op thread while inside (tiny tensors), the caller's setting restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def evaluate(claim: Claim) -> Entry:
    """One claim's verdict (an ``error`` verdict when its verifier raises)."""
    start = time.perf_counter()
    with one_thread(), significant_digits(DIGITS), torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        try:
            verdict = claim.verify()
        except ListingMissing as exc:
            verdict = Verdict("pending", (Evidence("run", str(exc)),))
        except Exception as exc:  # a bug of the ledger: recorded, and the other claims still run
            where = traceback.extract_tb(exc.__traceback__)[-1]
            message = (str(exc).strip().splitlines() or [""])[0]
            verdict = Verdict("error", (Evidence("run", f"the verifier raised {type(exc).__name__}: {message} "
                                                 f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})"),))
    return Entry(claim, verdict, time.perf_counter() - start)


def run_claims(claims: Iterable[Claim], starting: Callable[[Claim], None] = lambda claim: None,
               done: Callable[[Entry], None] = lambda entry: None) -> tuple[Entry, ...]:
    """Every claim's entry, in order; ``starting`` and ``done`` are told of each (progress)."""
    entries = []
    for claim in claims:
        starting(claim)
        entries.append(evaluate(claim))
        done(entries[-1])
    return tuple(entries)
