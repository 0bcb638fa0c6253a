"""The class report: what a results JSON (:func:`grader.batch.results_document`) says about a
whole class, as one self-contained HTML page for the teacher.

It shows, per exercise, how many submitted it and how many passed every check; the
distribution of scores; the recognised classic mistakes and the checks failed most often; and
the students who need attention. Scores count only the exercises somebody in the class
submitted (an assignment rarely covers every exercise). Submissions that could not be graded
at all (a ``problem``) score 0 and are listed for attention, but stay out of the per-exercise
and per-check statistics.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.outputs import atomic, similarity_page
from grader.outputs.feedback_html import environment
from grader.outputs.pictures import data_uri, figure_png, score_histogram, status_bars
from grader.similarity import SimilarityReport

ALARMING = ("timeout", "crashed", "forbidden")
"""Exercise statuses that put a student on the attention list whatever the score."""

LOWEST_SHARE = 0.1
"""The lowest-scoring tenth of the graded class (at least one student) is listed for attention."""

TOP_CHECKS = 20  # failing checks listed


@dataclass(frozen=True)
class ExerciseStats:
    """One exercise across the graded submissions."""

    module: str
    max_score: float
    statuses: Counter  # exercise status -> submissions
    mean_score: float | None  # over the submissions that submitted it; None when none did

    @property
    def submitted(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "not_submitted")

    @property
    def passed(self) -> int:
        return self.statuses["passed"]

    @property
    def pass_rate(self) -> float | None:
        """Share of the submitters with every check passed."""
        return self.passed / self.submitted if self.submitted else None


@dataclass(frozen=True)
class CheckStats:
    """One check that some graded submissions did not pass."""

    module: str
    name: str  # "task[check]"
    statuses: Counter  # status other than passed/not_submitted -> submissions
    submitted: int  # submissions of this exercise
    example: str  # the most common first line of its messages

    @property
    def count(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True)
class MistakeStats:
    """One recognised classic mistake (the ``mistake`` field of failed checks)."""

    module: str
    mistake: str
    students: list[str]
    checks: list[str]


@dataclass(frozen=True)
class Attention:
    """A student the teacher should look at, and why."""

    name: str
    score: float  # on the assigned exercises
    max_score: float
    reasons: list[str]


@dataclass(frozen=True)
class ClassReport:
    """Everything the report page shows, computed from a results document."""

    submissions: int
    graded: int  # submissions without a problem
    assigned: list[str]  # the exercises somebody submitted (all of them when nobody did): scores count these
    percents: list[float]  # every submission's score on the assigned exercises, % of their points
    exercises: list[ExerciseStats]
    checks: list[CheckStats]  # most failed first, at most TOP_CHECKS
    failing_check_kinds: int  # distinct checks failed by someone (``checks`` may be cut)
    mistakes: list[MistakeStats]  # most common first
    attention: list[Attention]  # lowest score first


def _percent(score: float, max_score: float) -> float:
    return 100.0 * score / max_score if max_score else 0.0


def _exercise_stats(graded: list[dict[str, Any]], modules: list[str]) -> list[ExerciseStats]:
    stats = []
    for module in modules:
        records = [s["exercises"][module] for s in graded if module in s["exercises"]]
        scores = [r["score"] for r in records if r["status"] != "not_submitted"]
        stats.append(ExerciseStats(module, max((r["max_score"] for r in records), default=0.0),
                                   Counter(r["status"] for r in records),
                                   sum(scores) / len(scores) if scores else None))
    return stats


def _check_stats(graded: list[dict[str, Any]], exercises: list[ExerciseStats]) -> list[CheckStats]:
    submitted = {e.module: e.submitted for e in exercises}
    statuses: dict[tuple[str, str], Counter] = {}
    headlines: dict[tuple[str, str], Counter] = {}
    for submission in graded:
        for module, exercise in submission["exercises"].items():
            for check in exercise["checks"]:
                if check["status"] in ("passed", "not_submitted"):
                    continue
                key = (module, check["name"])
                statuses.setdefault(key, Counter())[check["status"]] += 1
                headlines.setdefault(key, Counter())[(check["message"] or check["status"]).split("\n")[0]] += 1
    checks = [CheckStats(module, name, counts, submitted.get(module, 0), headlines[module, name].most_common(1)[0][0])
              for (module, name), counts in statuses.items()]
    return sorted(checks, key=lambda c: (-c.count, c.module, c.name))


def _mistake_stats(graded: list[dict[str, Any]]) -> list[MistakeStats]:
    students: dict[tuple[str, str], list[str]] = {}
    checks: dict[tuple[str, str], list[str]] = {}
    for submission in graded:
        for module, exercise in submission["exercises"].items():
            for check in exercise["checks"]:
                if check.get("mistake"):
                    key = (module, check["mistake"])
                    names = students.setdefault(key, [])
                    if submission["name"] not in names:
                        names.append(submission["name"])
                    if check["name"] not in checks.setdefault(key, []):
                        checks[key].append(check["name"])
    mistakes = [MistakeStats(module, mistake, names, checks[module, mistake])
                for (module, mistake), names in students.items()]
    return sorted(mistakes, key=lambda m: (-len(m.students), m.module, m.mistake))


def _assigned_score(submission: dict[str, Any], assigned: list[str]) -> tuple[float, float]:
    """(points, max points) of a submission on the ``assigned`` exercises."""
    exercises = submission["exercises"]
    return (sum(exercises[m]["score"] for m in assigned if m in exercises),
            sum(exercises[m]["max_score"] for m in assigned if m in exercises))


def _attention(submissions: list[dict[str, Any]], scores: list[tuple[float, float]]) -> list[Attention]:
    reasons: list[list[str]] = [[] for _ in submissions]
    for mine, submission in zip(reasons, submissions, strict=True):
        if submission.get("problem"):
            mine.append(f"could not be graded: {submission['problem']}")
        else:
            mine += [f"{module}: {e['status']}" for module, e in submission["exercises"].items()
                     if e["status"] in ALARMING]
        if submission.get("grader_failed"):
            mine.append("the grader failed on this submission")
    percents = [_percent(*score) for score in scores]
    graded = [i for i, s in enumerate(submissions) if not s.get("problem")]
    best = max((percents[i] for i in graded), default=0.0)
    below_best = sorted((percents[i], i) for i in graded if percents[i] < best)
    if below_best:
        cut = below_best[min(len(below_best), max(1, math.ceil(LOWEST_SHARE * len(graded)))) - 1][0]
        for percent, i in below_best:
            if percent <= cut:
                reasons[i].append(f"among the lowest scores ({percent:.0f} %)")
    flagged = [(percents[i], s["name"], Attention(s["name"], *scores[i], reasons[i]))
               for i, s in enumerate(submissions) if reasons[i]]
    return [attention for _, _, attention in sorted(flagged, key=lambda f: f[:2])]


def summarise(document: dict[str, Any]) -> ClassReport:
    """The class report's figures for a results document."""
    submissions = document["submissions"]
    graded = [s for s in submissions if not s.get("problem")]
    modules = list(dict.fromkeys(m for s in submissions for m in s["exercises"]))
    exercises = _exercise_stats(graded, modules)
    assigned = [e.module for e in exercises if e.submitted] or modules
    scores = [_assigned_score(s, assigned) for s in submissions]
    checks = _check_stats(graded, exercises)
    return ClassReport(
        submissions=len(submissions), graded=len(graded), assigned=assigned,
        percents=[_percent(*score) for score in scores], exercises=exercises, checks=checks[:TOP_CHECKS],
        failing_check_kinds=len(checks), mistakes=_mistake_stats(graded), attention=_attention(submissions, scores))


REPORT = """{% extends "layout.html" %}
{% block title %}Class report{% endblock %}
{% block body %}
<h1>Class report</h1>
<p>{{ report.submissions }} submission(s){% if report.graded != report.submissions %},
{{ report.submissions - report.graded }} of which could not be graded (see the attention list){% endif %}.</p>

<h2>Exercises</h2>
<table>
<tr><th>exercise</th><th class="num">submitted</th><th class="num">all checks passed</th>
<th class="num">pass rate</th><th class="num">mean score of submitters</th><th>other outcomes</th></tr>
{% for e in report.exercises %}
<tr><td>{{ e.module }}</td><td class="num">{{ e.submitted }} / {{ report.graded }}</td>
<td class="num">{{ e.passed }}</td><td class="num">{{ e.pass_rate | rate }}</td>
<td class="num">
{% if e.mean_score is none %}–{% else %}{{ "%.1f" | format(e.mean_score) }} / {{ e.max_score | points }}{% endif %}
</td>
<td class="nowrap">
{% for status, n in e.statuses.most_common() if status not in ("passed", "not_submitted") %}
{{ status | badge }} {{ n }}
{% endfor %}
</td></tr>
{% endfor %}
</table>
{% if report.exercises %}
<img src="{{ status_chart }}" alt="bar chart: outcome of each exercise across the class">
{% endif %}

<h2>Scores</h2>
<p>Scores count the exercises somebody submitted: {{ report.assigned | join(", ") }}.</p>
<img src="{{ histogram }}" alt="histogram of the class's scores in percent of the points">

<h2>Recognised mistakes</h2>
{% if report.mistakes %}
<table>
<tr><th>mistake</th><th>exercise</th><th class="num">students</th><th>checks</th><th>who</th></tr>
{% for m in report.mistakes %}
<tr><td class="mistake">{{ m.mistake }}</td><td>{{ m.module }}</td><td class="num">{{ m.students | length }}</td>
<td>{{ m.checks | join(", ") }}</td><td>{{ m.students | join(", ") }}</td></tr>
{% endfor %}
</table>
{% else %}
<p>No classic mistake was recognised in this class's failures.</p>
{% endif %}

<h2>Checks failed most often</h2>
{% if report.checks %}
{% if report.failing_check_kinds > report.checks | length %}
<p class="muted">The {{ report.checks | length }} most failed of {{ report.failing_check_kinds }} failing checks.</p>
{% endif %}
<table>
<tr><th>check</th><th>exercise</th><th class="num">students</th><th class="num">of submitters</th><th>how</th>
<th>most common message</th></tr>
{% for c in report.checks %}
<tr><td>{{ c.name }}</td><td>{{ c.module }}</td><td class="num">{{ c.count }}</td>
<td class="num">{{ (c.count / c.submitted if c.submitted else none) | rate }}</td>
<td class="nowrap">{% for status, n in c.statuses.most_common() %}{{ status | badge }} {{ n }} {% endfor %}</td>
<td><code>{{ c.example }}</code></td></tr>
{% endfor %}
</table>
{% else %}
<p>Every submitted check passed.</p>
{% endif %}

<h2>Students who need attention</h2>
{% if report.attention %}
<table>
<tr><th>student</th><th class="num">score (submitted exercises)</th><th>why</th></tr>
{% for a in report.attention %}
<tr><td>{{ a.name }}</td><td class="num">{{ a.score | points }} / {{ a.max_score | points }}</td>
<td>{{ a.reasons | join("; ") }}</td></tr>
{% endfor %}
</table>
{% else %}
<p>Nobody: no timeouts, crashes or forbidden calls, and every graded submission has the best score.</p>
{% endif %}
{% if similarity is not none %}
{% include "similarity_section" %}
{% endif %}
{% endblock %}
"""



def rate(share: float | None) -> str:
    """A share as a whole percentage, ``–`` when there is nothing to share."""
    return "–" if share is None else f"{100 * share:.0f} %"


_PAGES = similarity_page.add_to(environment(report=REPORT, **similarity_page.TEMPLATES))
_PAGES.filters["rate"] = rate


def render_report(document: dict[str, Any], similarity: SimilarityReport | None = None) -> str:
    """The class report of a results document, as one self-contained HTML page; with the
    similarity report of the same submissions, it has a section "Similar submissions"."""
    report = summarise(document)
    status_chart = (data_uri(figure_png(status_bars({e.module: e.statuses for e in report.exercises
                                                     if e.module in report.assigned})))
                    if report.exercises else None)
    histogram = data_uri(figure_png(score_histogram(report.percents)))
    shown = similarity_page.context(similarity) if similarity is not None else {"similarity": None}
    return _PAGES.get_template("report").render(report=report, document=document, status_chart=status_chart,
                                                 histogram=histogram, **shown)


def write_report(document: dict[str, Any], path: Path, similarity: SimilarityReport | None = None) -> Path:
    """Write :func:`render_report` to ``path``."""
    atomic.write_text(path, render_report(document, similarity))
    return path
