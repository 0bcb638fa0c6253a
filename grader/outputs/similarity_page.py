"""The similarity report (:mod:`grader.similarity`) as HTML for the teacher: a page of its own
(``convgrade similarity``) and a section of the class report (``convgrade report
--submissions``), in English like the class report, self-contained like every page
(:data:`grader.outputs.feedback_html.LAYOUT`: no scripts, nothing loaded, everything escaped).

Each flagged pair is laid out side by side, both pieces of code in full, with the regions
their common fingerprints cover marked; then, per exercise, how the class's pairs are spread
and the most similar pairs, flagged or not, for context.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import jinja2

from grader import similarity
from grader.outputs.feedback_html import environment
from grader.similarity import ExerciseSimilarity, Pair, SimilarityReport

SECTION = """<style>
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.pair pre { margin: 0; font-size: 0.8em; }
.pair h4 { margin: 0.3em 0; font-size: 0.95em; }
mark { background: #ffe08a; color: inherit; }
.flag { color: #c62828; font-weight: 600; }
</style>
<h2 id="similarity">Similar submissions</h2>
<p>Each exercise's code, compared pair by pair after removing the stub and the docstrings and renaming
every identifier to a placeholder (winnowed fingerprints of {{ rule.k }} characters, as MOSS does). A pair
is <span class="flag">flagged</span> when it shares at least {{ "%.0f" | format(100 * rule.min_score) }} % of its
code <em>and</em> stands out of the class: {{ rule.min_z }} robust standard deviations above the median pair of
that exercise, among at least {{ rule.min_pairs }} pairs. The model answer (<code>solutions/</code>) takes part
like one more student; a flagged pair with it is a leaked answer. A score says how much code is shared,
the standing how rare that is in this class: a high score half the class shares is the exercise, not a copy.</p>
{% if similarity.skipped %}
<p class="muted">Not compared: {{ similarity.skipped | join("; ") }}.</p>
{% endif %}
{% for title, pairs in (("Pairs of students", students), ("Copies of the model answer", leaks)) %}
<h3>{{ title }}</h3>
{% if pairs %}
<table>
<tr><th>exercise</th><th>submissions</th><th class="num">score</th><th>standing in the class</th>
<th class="num">robust z</th></tr>
{% for shown in pairs %}
<tr><td>{{ shown.pair.module }}</td><td><a href="#{{ shown.anchor }}">{{ shown.pair.first }} · {{ shown.pair.second }}</a></td>
<td class="num">{{ shown.pair.score | share }}</td><td>{{ shown.pair | standing }}</td>
<td class="num">{{ "%.1f" | format(shown.pair.z) }}</td></tr>
{% endfor %}
</table>
{% for shown in pairs %}
<h4 id="{{ shown.anchor }}">{{ shown.pair.module }}: {{ shown.pair.first }} and {{ shown.pair.second }},
{{ shown.pair.score | share }} shared, {{ shown.pair | standing }}</h4>
<div class="pair">
{% for name, runs in shown.sides %}
<div><h4>{{ name }}</h4><pre>{% for text, marked in runs %}{% if marked %}<mark>{{ text }}</mark>{% else %}{{ text }}{% endif %}{% endfor %}</pre></div>
{% endfor %}
</div>
{% endfor %}
{% else %}
<p>None flagged.</p>
{% endif %}
{% endfor %}
<h3>Each exercise across the class</h3>
<table>
<tr><th>exercise</th><th class="num">compared</th><th class="num">stub untouched</th><th class="num">pairs</th>
<th class="num">median</th><th class="num">90th pct</th><th class="num">99th pct</th><th class="num">flagged</th>
<th>most similar pairs (score, standing)</th></tr>
{% for e in similarity.exercises %}
<tr><td>{{ e.module }}</td><td class="num">{{ e.pieces | length }}</td><td class="num">{{ e.untouched | length }}</td>
<td class="num">{{ e.pairs }}</td>
{% for q in (50, 90, 99) %}<td class="num">{{ e.quantiles[q] | share if q in e.quantiles else "–" }}</td>{% endfor %}
<td class="num">{{ e.flagged | length }}</td>
<td>{% for p in e.top[:3] %}{{ p.first }} · {{ p.second }} ({{ p.score | share }}, top {{ p.top_percent | percent }}){% if not loop.last %}; {% endif %}{% endfor %}</td></tr>
{% endfor %}
</table>
"""

PAGE = """{% extends "layout.html" %}
{% block title %}Similar submissions{% endblock %}
{% block body %}
<h1>Similar submissions</h1>
<p>{{ similarity.submissions | length }} submission(s), {{ similarity.exercises | length }} exercise(s) with code.</p>
{% include "similarity_section" %}
{% endblock %}
{% block footer %}convgrade similarity: copydetect's winnowing, k = {{ rule.k }}, window {{ rule.window }}.{% endblock %}
"""

TEMPLATES = {"similarity_section": SECTION, "similarity": PAGE}
"""The templates a Jinja environment needs to show a similarity report (the class report adds them)."""


def share(value: float) -> str:
    """A score as a whole percentage."""
    return f"{100 * value:.0f} %"


def percent(value: float) -> str:
    """A standing's percentage: ``0.4 %``, ``12 %``."""
    return f"{value:.1f} %" if value < 10 else f"{value:.0f} %"


def standing(pair: Pair) -> str:
    """Where a pair stands: ``top 1.0 % of 4,950 pairs``."""
    return f"top {percent(pair.top_percent)} of {pair.pairs:,} pairs"


FILTERS = {"share": share, "percent": percent, "standing": standing}


def runs(source: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``source`` cut into (text, marked) runs, marked inside ``spans`` (which may overlap)."""
    marked = [False] * len(source)
    for start, end in spans:
        marked[start:end] = [True] * (end - start)
    runs_, position = [], 0
    for flag, group in itertools.groupby(marked):
        length = len(list(group))
        runs_.append((source[position:position + length], flag))
        position += length
    return runs_


@dataclass(frozen=True)
class ShownPair:
    """A flagged pair as the page lays it out."""

    pair: Pair
    anchor: str
    sides: list[tuple[str, list[tuple[str, bool]]]]  # (submission, its code in runs) for each side


def _shown(pairs: list[Pair], report: SimilarityReport, prefix: str) -> list[ShownPair]:
    shown = []
    for number, pair in enumerate(pairs, 1):
        exercise: ExerciseSimilarity = report.exercise(pair.module)
        a, b = exercise.pieces[pair.first], exercise.pieces[pair.second]
        spans = similarity.matched_spans(a, b)
        shown.append(ShownPair(pair, f"{prefix}-{number}",
                               [(piece.owner, runs(piece.code.source, found)) for piece, found in zip((a, b), spans)]))
    return shown


def context(report: SimilarityReport) -> dict:
    """What :data:`SECTION` needs, given the report."""
    rule = {"k": similarity.K, "window": similarity.WINDOW, "min_score": similarity.MIN_SCORE,
            "min_z": similarity.MIN_Z, "min_pairs": similarity.MIN_PAIRS}
    return {"similarity": report, "rule": rule, "students": _shown(report.flagged(False), report, "pair"),
            "leaks": _shown(report.flagged(True), report, "leak")}


def add_to(env: jinja2.Environment) -> jinja2.Environment:
    """``env`` with the filters the templates use (its loader must hold :data:`TEMPLATES`)."""
    env.filters.update(FILTERS)
    return env


_PAGES = add_to(environment(**TEMPLATES))


def render_similarity(report: SimilarityReport) -> str:
    """The similarity report as one self-contained HTML page."""
    return _PAGES.get_template("similarity").render(**context(report))


def write_similarity(report: SimilarityReport, path: Path) -> Path:
    """Write :func:`render_similarity` to ``path``."""
    path.write_text(render_similarity(report), encoding="utf-8")
    return path
