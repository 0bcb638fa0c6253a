"""How feedback prints a number: ``:g`` with six significant digits, fewer for a while where a
page is committed and compared with a fresh run (the spec ledger prints three, so the page
reads the same on every CPU, whichever kernels computed the last bits of a float)."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Iterator

_DIGITS: contextvars.ContextVar[int] = contextvars.ContextVar("convgrade_significant_digits", default=6)


def number(x: float) -> str:
    """``x`` with the significant digits in force (``nan`` for NaN): ``-0.216338``, ``5``, ``1e-07``."""
    return f"{x:.{_DIGITS.get()}g}" if x == x else "nan"


@contextmanager
def significant_digits(digits: int) -> Iterator[None]:
    """Numbers printed inside this block (in this thread or task) have ``digits`` significant digits."""
    token = _DIGITS.set(digits)
    try:
        yield
    finally:
        _DIGITS.reset(token)
