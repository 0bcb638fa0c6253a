"""Where a judge's time goes, in a few buckets (``benchmarks/run --profile-batch`` prints them).

Each judge process adds the seconds it spends to one of :data:`BUCKETS`; the batch takes them
after each exercise (:func:`take`) and sums them over the run. Only the judge measures: a
worker's own report of how long the student's code ran is used to split a round trip into
the student's time and transport, for this table and nothing else.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from typing import Iterator

STARTUP = "start-up"
GENERATION = "input generation (hypothesis)"
REFERENCES = "references"
TRANSPORT = "transport (encode, pipe, decode)"
STUDENT = "the student's code"
JUDGING = "comparison and feedback"
BUCKETS = (STARTUP, GENERATION, REFERENCES, TRANSPORT, STUDENT, JUDGING)
"""The buckets, in the order the table shows them. A judge's time not measured into another
bucket is :data:`JUDGING`."""

_spent: dict[str, float] = defaultdict(float)


def add(bucket: str, seconds: float) -> None:
    """Count ``seconds`` in ``bucket`` (one of :data:`BUCKETS`)."""
    _spent[bucket] += seconds


@contextlib.contextmanager
def timed(bucket: str) -> Iterator[None]:
    """Count the time spent inside the block in ``bucket``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        _spent[bucket] += time.perf_counter() - start


def take(total: float) -> dict[str, float]:
    """The seconds counted since the last call, by bucket, with what is left of ``total`` (the
    judge's whole time on the exercise) counted as :data:`JUDGING`; the counts start again."""
    spent = {bucket: _spent.get(bucket, 0.0) for bucket in BUCKETS}
    spent[JUDGING] += max(0.0, total - sum(spent.values()))
    _spent.clear()
    return spent
