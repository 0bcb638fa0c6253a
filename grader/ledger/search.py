"""How verdicts are computed: an exhaustive search over small configurations split by
conditions, and a hypothesis search for a minimal counterexample.

:func:`split` is the "holds only when" machine. It checks a claim on every configuration of a
small grid, sorts the configurations into cells by a few yes/no features (``f odd``/``f even``,
``s = 1``/``s > 1``), and reports the cells where no counterexample exists as the condition,
written as the shortest condition on the features that covers them (a feature that makes no
difference is left out), with the smallest counterexample of every other cell. :func:`hunt`
asks hypothesis for the smallest input that breaks a claim, with a derandomized search (no
example database), so the same ledger is produced on every run.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import sympy
import torch
from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from hypothesis.strategies import SearchStrategy

from grader.engine.settings import pinned
from grader.ledger.record import Evidence, Verdict

Config = Mapping[str, int]
ClaimAt = Callable[[Config], "str | None"]
"""A claim at one configuration: None where it holds, else why not, in words."""

HUNT = pinned(derandomize=True, database=None, deadline=None, max_examples=150, print_blob=False,
              suppress_health_check=list(HealthCheck))
"""Settings of every hypothesis search of the ledger: reproducible, so the ledger is too."""


@dataclass(frozen=True)
class Feature:
    """A yes/no property of a configuration that a condition may be made of."""

    yes: str  # the words when it holds: "f odd"
    no: str  # the words when it does not: "f even"
    test: Callable[[Config], bool]


@dataclass(frozen=True)
class Cell:
    """The configurations sharing the same answers to every feature."""

    key: tuple[bool, ...]  # the features' answers
    checked: int  # how many configurations it holds
    counterexample: Config | None  # its smallest configuration where the claim fails
    why: str  # why the claim fails there


@dataclass(frozen=True)
class Split:
    """The outcome of :func:`split`."""

    features: tuple[Feature, ...]
    cells: tuple[Cell, ...]  # non-empty cells only
    space: str  # the grid in words: "n 1–10, f 1–7"

    @property
    def checked(self) -> int:
        return sum(c.checked for c in self.cells)

    @property
    def failing(self) -> tuple[Cell, ...]:
        """Cells with a counterexample, the one holding the smallest first."""
        return tuple(sorted((c for c in self.cells if c.counterexample is not None),
                            key=lambda c: magnitude(c.counterexample)))

    @property
    def condition(self) -> str:
        """Where no counterexample exists, as the shortest condition on the features that covers
        exactly those cells ("" when there is no such cell; "always" when every cell holds).

        A term fixes some features and leaves the others free; it is valid when every non-empty
        cell it matches holds. The condition is the smallest set of most general valid terms
        that together match every holding cell (the features are few: brute force is exact)."""
        holding = {c.key for c in self.cells if c.counterexample is None}
        if not holding:
            return ""
        present = [c.key for c in self.cells]

        def matched(term: tuple[bool | None, ...]) -> frozenset[tuple[bool, ...]]:
            return frozenset(k for k in present if all(v is None or k[i] == v for i, v in enumerate(term)))

        terms = list(itertools.product((None, True, False), repeat=len(self.features)))
        valid = [t for t in terms if matched(t) and matched(t) <= holding]
        primes = [t for t in valid if not any(o != t and all(v is None or v == t[i] for i, v in enumerate(o))
                                              for o in valid)]
        covers = (c for r in range(1, len(primes) + 1) for c in itertools.combinations(primes, r)
                  if frozenset().union(*map(matched, c)) == holding)
        cover = min(covers, key=lambda c: (len(c), sum(v is not None for t in c for v in t)))
        if any(all(v is None for v in t) for t in cover):
            return "always"
        return " or ".join(" and ".join(self.features[i].yes if v else self.features[i].no
                                        for i, v in enumerate(t) if v is not None) for t in cover)

    def evidence(self, what: str) -> list[Evidence]:
        """The search as evidence: what was checked, where it held, each failing cell's smallest
        counterexample."""
        condition = self.condition
        if not self.failing:
            found = "no counterexample"
        elif condition:
            found = f"no counterexample when {condition}"
        else:
            found = "a counterexample in every case"
        lines = [Evidence("exhaustive", f"{what}: all {self.checked} configurations with {self.space}; {found}")]
        for cell in self.failing:
            where = self.cell_words(cell)
            lines.append(Evidence("exhaustive", f"{where + ': ' if where else ''}smallest counterexample "
                                  f"{show(cell.counterexample)}: {cell.why}"))
        return lines

    def cell_words(self, cell: Cell) -> str:
        return ", ".join(f.yes if v else f.no for f, v in zip(self.features, cell.key))

    def verdict(self, what: str, extra: Sequence[Evidence] = ()) -> Verdict:
        """verified when no cell fails, refuted when none holds, else conditional on
        :attr:`condition`; the counterexample is the smallest one."""
        evidence = tuple(self.evidence(what)) + tuple(extra)
        failing = self.failing
        if not failing:
            return Verdict("verified", evidence)
        smallest = f"{show(failing[0].counterexample)}: {failing[0].why}"
        condition = self.condition
        if not condition:
            return Verdict("refuted", evidence, counterexample=smallest)
        return Verdict("conditional", evidence, condition=condition, counterexample=smallest)


def magnitude(config: Config) -> tuple[int, tuple[int, ...]]:
    """What "smallest" means: the sum of the values, then the values in order."""
    return (sum(config.values()), tuple(config.values()))


def show(config: Config) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items())


def grid(space: Mapping[str, range], domain: Callable[[Config], bool] = lambda c: True) -> list[dict[str, int]]:
    """Every configuration of the product of ``space``'s ranges inside ``domain``, smallest first."""
    configs = [dict(zip(space, values)) for values in itertools.product(*space.values())]
    return sorted((c for c in configs if domain(c)), key=magnitude)


def describe(space: Mapping[str, range]) -> str:
    """``{"n": range(1, 11)}`` -> ``"n 1–10"``."""
    return ", ".join(f"{name} {r.start}–{r.stop - 1}" if len(r) > 1 else f"{name} = {r.start}"
                     for name, r in space.items())


def split(space: Mapping[str, range], check: ClaimAt, features: Sequence[Feature] = (),
          domain: Callable[[Config], bool] = lambda c: True) -> Split:
    """Check the claim on every configuration of ``space`` inside ``domain`` and sort the
    outcomes into cells by ``features``."""
    counts: dict[tuple[bool, ...], int] = {}
    found: dict[tuple[bool, ...], tuple[Config, str]] = {}
    for config in grid(space, domain):
        key = tuple(f.test(config) for f in features)
        counts[key] = counts.get(key, 0) + 1
        why = check(config)
        if why is not None and key not in found:
            found[key] = (config, why)
    cells = tuple(Cell(key, counts[key], *found.get(key, (None, ""))) for key in sorted(counts, reverse=True))
    return Split(tuple(features), cells, describe(space))


def proof(what: str, lhs: Any, rhs: Any) -> Evidence:
    """A sympy proof that ``lhs == rhs`` for every value of their integer symbols (a mod b
    written a - b floor(a/b), floors compared with their arguments expanded), or the difference
    that would not simplify away."""
    def canonical(expr: Any) -> sympy.Expr:
        expr = sympy.sympify(expr).replace(lambda e: isinstance(e, sympy.Mod),
                                           lambda e: e.args[0] - e.args[1] * sympy.floor(e.args[0] / e.args[1]))
        return sympy.expand(expr.replace(lambda e: isinstance(e, sympy.floor),
                                         lambda e: sympy.floor(sympy.expand(e.args[0]))))

    difference = sympy.simplify(canonical(lhs) - canonical(rhs))
    if difference == 0:
        return Evidence("sympy", f"{what}: {sympy.sstr(lhs)} = {sympy.sstr(rhs)}, proved for all integer values")
    return Evidence("sympy", f"{what}: not proved; {sympy.sstr(lhs)} - ({sympy.sstr(rhs)}) simplifies to "
                    f"{sympy.sstr(difference)}, not 0")


def integers(*names: str, positive: bool = True) -> tuple[sympy.Symbol, ...]:
    """Integer symbols, >= 1 (sizes, kernels, strides, dilations) or >= 0 (paddings)."""
    return tuple(sympy.Symbol(n, integer=True, positive=True) if positive else
                 sympy.Symbol(n, integer=True, nonnegative=True) for n in names)


def half_integers(shape: Sequence[int], low: float = -4.0) -> SearchStrategy[torch.Tensor]:
    """A float64 tensor of ``shape`` with entries low, low + 1/2, ..., 4, each drawn and shrunk
    by hypothesis (towards 0, or towards ``low`` when it is positive): for counterexamples whose
    values matter."""
    shape = tuple(int(s) for s in shape)
    return st.lists(st.integers(int(2 * low), 8), min_size=math.prod(shape), max_size=math.prod(shape)).map(
        lambda v: torch.tensor(v, dtype=torch.float64).reshape(shape) / 2)


def seeded_tensor(shape: Sequence[int]) -> SearchStrategy[torch.Tensor]:
    """A float64 tensor of ``shape`` with half-integer entries in [-4, 4] made from one drawn
    seed: as cheap to draw at any size as one integer. For identities that must hold at every
    input, where the shapes are what a counterexample is about: hypothesis shrinks the shapes
    around it, not the entries. Half-integers keep both sides of an identity exact in float64."""
    shape = tuple(int(s) for s in shape)
    return st.integers(0, 2**32 - 1).map(
        lambda seed: torch.randint(-8, 9, shape, generator=torch.Generator().manual_seed(seed)).double() / 2)


@dataclass(frozen=True)
class Hunt:
    """The outcome of :func:`hunt`: how many examples were tried, the minimal failing one."""

    tried: int
    example: Any = None  # None: no counterexample found
    why: str = ""


def hunt(strategy: SearchStrategy[Any], fails: Callable[[Any], str | None], max_examples: int = 150) -> Hunt:
    """Ask hypothesis for the smallest example on which ``fails`` returns a reason (shrunk, so
    the counterexample is minimal); ``Hunt.example`` is None when none was found."""
    tried = 0

    def breaks(example: Any) -> bool:
        nonlocal tried
        tried += 1
        return fails(example) is not None

    try:
        example = find(strategy, breaks, settings=settings(HUNT, max_examples=max_examples))
    except NoSuchExample:
        return Hunt(tried)
    return Hunt(tried, example, fails(example) or "")


def hunted(found: Hunt, what: str, shown: Callable[[Any], str], extra: Iterable[Evidence] = ()) -> Verdict:
    """A verdict from one hypothesis search: verified when nothing broke the claim, refuted
    with the minimal counterexample otherwise."""
    extra = tuple(extra)
    if found.example is None:
        return Verdict("verified", (Evidence("hypothesis", f"{what}: no counterexample in {found.tried} drawn "
                                             "examples"),) + extra)
    counterexample = f"{shown(found.example)}: {found.why}"
    return Verdict("refuted", (Evidence("hypothesis", f"{what}: minimal counterexample {counterexample}"),) + extra,
                   counterexample=counterexample)
