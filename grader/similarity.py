"""Similar submissions: per exercise, the pairs whose code is unusually similar for this class.

**What is compared.** Each submission's code for each exercise (:mod:`grader.exercise_code`:
a folder's ``exNN_*.py``, a notebook's definitions), and the model answer (``solutions/``),
which takes part like one more student so that a leaked answer shows as a pair with it. Code
is normalised first (:mod:`grader.codenorm`: identifiers renamed to placeholders, comments and
docstrings dropped), then fingerprinted by winnowing (Schleimer, Wilkerson and Aiken, as MOSS
does): every k-gram of :data:`K` normalised characters is hashed, and a fingerprint is kept
from each window of :data:`WINDOW` consecutive k-grams, so any match of :data:`GUARANTEE`
characters or more is found, and reordered functions still match. Fingerprints of the stub
(the boilerplate the class was given: signatures, imports, ``raise NotImplementedError``) are
removed; a submission with nothing left for an exercise (an untouched stub) is not compared.

**Score of a pair.** The share of both pieces of code that the pair's common fingerprints
cover: (matched characters of a + matched characters of b) / (fingerprinted characters of a
+ those of b), from 0 to 1. Symmetric, and a short piece contained in a long one scores low.

**Standing in the class.** For one exercise, every pair of the compared submissions is
scored. A pair's rank is the number of pairs scoring at least as much (so a score that half
the class shares ranks in the middle, "top 50 %"), and its robust z-score is its distance
above the median of all pairs in units of 1.4826 x the median absolute deviation (at least
:data:`SCALE_FLOOR`). The one rule, :func:`is_unusual`: a pair is flagged when its score is at
least :data:`MIN_SCORE` (most of both pieces of code is shared, beyond the boilerplate) **and**
its robust z-score is at least :data:`MIN_Z` (3.5, Iglewicz and Hoaglin's outlier cut-off: far
from what this class's pairs share anyway), among at least :data:`MIN_PAIRS` pairs (with
fewer, there is no class to stand out of). Flagged pairs are ranked by their standing (rank
/ pairs, then z).

**The fingerprinting library: copydetect** (0.5.0, MIT licence, pure Python with numpy; its
dependencies pygments, numpy, jinja2 and matplotlib are already convgrade's, tqdm is the
only new one). It is the maintained Python implementation of MOSS's winnowing (the last
release is of 2024-03, with a documented API and tests; MOSS itself is a web service that
would send the class's code off the machine, JPlag and Dolos need Java or Node). Only its
fingerprinting functions are used (``winnow``, ``find_fingerprint_overlap``,
``get_copied_slices``), not its detector or its HTML report:

- its tokenizer (``filter_code``) turns every name into ``V``, attributes such as ``.flip``
  and ``.unfold`` included, which makes all short solutions look alike, keeps docstrings, and
  misplaces highlights after a class name; :mod:`grader.codenorm` normalises with pygments
  (copydetect's own lexer) instead;
- its boilerplate removal (``get_document_fingerprints``: ``np.intersect1d(...,
  assume_unique=True)`` on winnowed hashes, which repeat) also drops fingerprints of code
  repeated within one file, so boilerplate fingerprints are removed here by set membership;
- its k-gram hashes (``hashed_kgrams``) are Python's ``hash`` of strings, randomised per
  process, so the same class would score a little differently from run to run; k-grams are
  hashed here with BLAKE2b, and the same class always gets the same scores.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from copydetect.utils import find_fingerprint_overlap, get_copied_slices, winnow

from grader.codenorm import Normalised, normalise
from grader.engine import registry
from grader.exercise_code import exercise_code
from grader.run.submissions import SubmissionSource
from grader.stubs import make_stub

K = 25
"""Normalised characters in a k-gram (copydetect's default noise threshold): shorter matches are noise."""

GUARANTEE = 30
"""Matches at least this long (normalised characters) are always found (copydetect's default)."""

WINDOW = GUARANTEE - K + 1
"""Consecutive k-grams among which winnowing keeps a fingerprint."""

MIN_SCORE = 0.5
"""A flagged pair shares at least this much of its code, beyond the boilerplate."""

MIN_Z = 3.5
"""A flagged pair's score is at least this many robust standard deviations above the class's median pair."""

MIN_PAIRS = 10
"""An exercise with fewer pairs (fewer than 5 compared submissions) has no distribution to stand out of: nothing is flagged."""

SCALE_FLOOR = 0.05
"""The least robust standard deviation: when nearly all pairs score alike, small differences are not outliers."""

TOP_PAIRS = 10
"""Pairs kept per exercise besides the flagged ones (the most similar, for context)."""

REFERENCE = "solutions/ (model answer)"
"""The name the model answer goes by among the submissions."""


@dataclass(frozen=True)
class Piece:
    """One submission's code for one exercise, fingerprinted."""

    owner: str
    code: Normalised
    positions: dict[int, list[int]]  # fingerprint -> where it starts in code.text (boilerplate removed)
    hashes: frozenset[int]  # the fingerprints (positions' keys)
    size: int  # normalised characters the fingerprints cover


def covered(starts: np.ndarray) -> int:
    """Normalised characters inside the k-grams starting at ``starts``."""
    unique = np.unique(starts)
    return int(K + np.minimum(np.diff(unique), K).sum()) if unique.size else 0


def kgram_hashes(text: str) -> np.ndarray:
    """A stable 63-bit hash of every k-gram of ``text``, in order (empty when it is shorter than K)."""
    return np.array([int.from_bytes(hashlib.blake2b(text[i:i + K].encode(), digest_size=8).digest(), "little") >> 1
                     for i in range(len(text) - K + 1)], dtype=np.int64)


def boilerplate(stub: str) -> frozenset[int]:
    """The hashes of every k-gram of a stub: code the class was given."""
    return frozenset(kgram_hashes(normalise(stub).text).tolist())


def fingerprint(owner: str, source: str, given: frozenset[int]) -> Piece:
    """``source`` normalised and winnowed, without the fingerprints in ``given``."""
    code = normalise(source)
    positions: dict[int, list[int]] = {}
    hashes = kgram_hashes(code.text)
    if hashes.size:
        selected, starts = winnow(hashes, WINDOW, remove_duplicates=False)
        for value, start in zip(selected.tolist(), starts.tolist()):
            if value not in given:
                positions.setdefault(value, []).append(start)
    size = covered(np.array([i for at in positions.values() for i in at], dtype=np.int64))
    return Piece(owner, code, positions, frozenset(positions), size)


def _overlap(a: Piece, b: Piece) -> tuple[np.ndarray, np.ndarray]:
    return find_fingerprint_overlap(a.hashes, b.hashes, a.positions, b.positions)


def score(a: Piece, b: Piece) -> float:
    """The pair's score (module docstring): the share of both pieces their common fingerprints cover."""
    if not a.size or not b.size or a.hashes.isdisjoint(b.hashes):
        return 0.0
    in_a, in_b = _overlap(a, b)
    return (covered(in_a) + covered(in_b)) / (a.size + b.size)


def matched_spans(a: Piece, b: Piece) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The source character ranges of ``a`` and of ``b`` that their common fingerprints cover."""
    def spans(piece: Piece, starts: np.ndarray) -> list[tuple[int, int]]:
        slices = get_copied_slices(starts, K)
        return [span for s, e in zip(*slices) for span in piece.code.source_spans(int(s), int(e))]
    in_a, in_b = _overlap(a, b)
    return spans(a, in_a), spans(b, in_b)


def is_unusual(score: float, z: float, pairs: int) -> bool:
    """THE flagging rule (module docstring): high in absolute terms and an outlier of the
    class's ``pairs`` pairs."""
    return pairs >= MIN_PAIRS and score >= MIN_SCORE and z >= MIN_Z


@dataclass(frozen=True)
class Pair:
    """Two submissions' code for one exercise and where their score stands in the class."""

    module: str
    first: str
    second: str
    score: float
    rank: int  # pairs of this exercise scoring at least as much (1: the highest)
    pairs: int  # pairs of this exercise
    z: float  # robust z-score against the exercise's pairs

    @property
    def flagged(self) -> bool:
        return is_unusual(self.score, self.z, self.pairs)

    @property
    def top_percent(self) -> float:
        """The pair's standing: it is in the top ``top_percent`` % of the exercise's pairs."""
        return 100.0 * self.rank / self.pairs

    @property
    def with_reference(self) -> bool:
        """One side is the model answer (a leaked answer when flagged)."""
        return REFERENCE in (self.first, self.second)


@dataclass(frozen=True)
class ExerciseSimilarity:
    """One exercise across the class."""

    module: str
    pieces: dict[str, Piece]  # the compared submissions (and the model answer) by name
    untouched: list[str]  # submissions with nothing beyond the boilerplate for it
    pairs: int  # pairs scored
    median: float  # of all pairs' scores
    scale: float  # the robust standard deviation of all pairs' scores
    quantiles: dict[int, float]  # percentile -> score (50, 90, 99)
    top: list[Pair]  # the flagged pairs and the TOP_PAIRS most similar, highest first

    @property
    def flagged(self) -> list[Pair]:
        return [pair for pair in self.top if pair.flagged]


def _standings(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(ranks, robust z-scores, median, scale) of the scores (module docstring)."""
    ordered = np.sort(scores)
    ranks = scores.size - np.searchsorted(ordered, scores, side="left")
    median = float(np.median(scores))
    scale = max(1.4826 * float(np.median(np.abs(scores - median))), SCALE_FLOOR)
    return ranks, (scores - median) / scale, median, scale


def compare_exercise(module: str, sources: dict[str, str], stub: str) -> ExerciseSimilarity:
    """Score every pair of ``sources`` (name -> code for ``module``) with the stub as boilerplate."""
    given = boilerplate(stub)
    pieces = {name: fingerprint(name, code, given) for name, code in sources.items()}
    compared = {name: piece for name, piece in pieces.items() if piece.size}
    names = sorted(compared)
    couples = list(itertools.combinations(names, 2))
    scores = np.array([score(compared[a], compared[b]) for a, b in couples], dtype=float)
    if not couples:
        return ExerciseSimilarity(module, compared, sorted(set(pieces) - set(compared)), 0, 0.0, SCALE_FLOOR, {}, [])
    ranks, zs, median, scale = _standings(scores)
    keep = set(np.argsort(-scores, kind="stable")[:TOP_PAIRS].tolist())
    keep |= {i for i in range(len(couples)) if is_unusual(scores[i], zs[i], len(couples))}
    top = [Pair(module, *couples[i], float(scores[i]), int(ranks[i]), len(couples), float(zs[i])) for i in keep]
    return ExerciseSimilarity(
        module, compared, sorted(set(pieces) - set(compared)), len(couples), median, scale,
        {q: float(np.percentile(scores, q)) for q in (50, 90, 99)},
        sorted(top, key=lambda p: (-p.score, p.first, p.second)))


@dataclass(frozen=True)
class SimilarityReport:
    """Every exercise's similarity, and what could not be compared."""

    submissions: list[str]
    exercises: list[ExerciseSimilarity]
    skipped: list[str] = field(default_factory=list)  # one line per submission that could not be compared

    def flagged(self, with_reference: bool) -> list[Pair]:
        """Flagged pairs between students (or, ``with_reference``, with the model answer), by standing."""
        pairs = [p for e in self.exercises for p in e.flagged if p.with_reference == with_reference]
        return sorted(pairs, key=lambda p: (p.top_percent, -p.z, p.module, p.first, p.second))

    def exercise(self, module: str) -> ExerciseSimilarity:
        return next(e for e in self.exercises if e.module == module)


def model_answers(solutions: Path) -> dict[str, str]:
    """Exercise module -> its model answer (with nbgrader's solution markers): the ``exNN_*.py``
    of ``solutions``, and each installed pack's own answers for the exercises that folder lacks
    (a course may hold a pack's exercises: their copies are leaks too)."""
    answers = {path.stem: path.read_text(encoding="utf-8") for path in sorted(solutions.glob("ex[0-9][0-9]_*.py"))}
    for exercise in registry.known():
        path = registry.solution_file(exercise.module, solutions)
        if exercise.module not in answers and path.is_file():
            answers[exercise.module] = path.read_text(encoding="utf-8")
    return answers


def compare_class(sources: list[SubmissionSource], solutions: Path) -> SimilarityReport:
    """The similarity report of a class, with the model answers (:func:`model_answers`) as one
    more submission and their stubs as boilerplate; only the exercises some submission has code
    for."""
    answers = model_answers(solutions)
    code: dict[str, dict[str, str]] = {module: {REFERENCE: text} for module, text in answers.items()}
    skipped = []
    for source in sources:
        if source.problem:
            skipped.append(f"{source.name}: {source.problem}")
            continue
        try:
            parts = exercise_code(source)
        except ValueError as exc:
            skipped.append(f"{source.name}: the notebook's code cells do not parse ({exc})")
            continue
        for module, text in parts.items():
            code.setdefault(module, {})[source.name] = text
    exercises = [compare_exercise(module, code[module], make_stub(answers[module]) if module in answers else "")
                 for module in sorted(code) if set(code[module]) - {REFERENCE}]
    return SimilarityReport([s.name for s in sources], exercises, skipped)
