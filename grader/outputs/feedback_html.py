"""Feedback as HTML: one self-contained page per submission (every exercise, every check with
its status, points and message, and pictures of the difference where a check has a 2-D
counterexample), plus the page layout that the class report (:mod:`grader.outputs.report`) shares.

Pages hold no scripts and load nothing: styles are inline, pictures are ``data:`` URIs, and a
Content-Security-Policy forbids anything else. Everything taken from a submission (names,
messages) is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from grader.engine.exercise import STATUS_WORDS, status_word
from grader.i18n import _, current_language
from grader.outputs import atomic
from grader.outputs.feedback import also_failed_line, repeat_line
from grader.outputs.filenames import distinct_file_names
from grader.outputs.pictures import STATUS_COLOURS, counterexample_data_uri

LAYOUT = """<!doctype html>
<html lang="{% block lang %}en{% endblock %}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #212121; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { text-align: left; padding: 0.25em 0.7em; border-bottom: 1px solid #eee; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 0.7em; overflow-x: auto; white-space: pre-wrap; word-break: break-word;
      font-size: 0.9em; }
img { max-width: 100%; height: auto; }
table.input td { text-align: right; padding: 0.1em 0.4em; border: 1px solid #ddd; font-family: monospace; }
table.input td.in-window { outline: 2px solid #c62828; outline-offset: -2px; background: #ffebee; }
.status { display: inline-block; padding: 0 0.5em; border-radius: 0.6em; color: white; font-size: 0.85em;
          white-space: nowrap; }
{% for status, colour in status_colours.items() %}
.status-{{ status }} { background: {{ colour }}; }
{% endfor %}
.problem { border-left: 4px solid #c62828; background: #fdecea; padding: 0.5em 1em; }
.mistake { font-weight: 600; }
.muted { color: #757575; font-size: 0.9em; }
.nowrap { white-space: nowrap; }
details { margin: 0.4em 0 1em 0; } summary { cursor: pointer; }
</style>
</head>
<body>
{% block body %}{% endblock %}
<p class="muted">{% block footer %}convgrade {{ document.versions.convgrade }}: profile {{ document.profile }}, seed {{ document.seed }},
device {{ document.device }}; torch {{ document.versions.torch }}, hypothesis {{ document.versions.hypothesis }}.{% endblock %}</p>
</body>
</html>
"""
"""The page every HTML output extends (``{% extends "layout.html" %}``): blocks title and body,
and lang and footer (English unless a page overrides them: the class report is the teacher's,
in English; the students' pages are in the current language)."""

STUDENT_BLOCKS = """{% block lang %}{{ text.lang }}{% endblock %}
{% block footer %}{{ text.footer.format(version=document.versions.convgrade, profile=document.profile,
seed=document.seed, device=document.device, torch=document.versions.torch,
hypothesis=document.versions.hypothesis) }}{% endblock %}
"""
"""The blocks of a student's page that :data:`LAYOUT` words in English: in the current language."""

FEEDBACK = """{% extends "layout.html" %}
""" + STUDENT_BLOCKS + """{% block title %}{{ text.feedback_for.format(name=submission.name) }}{% endblock %}
{% block body %}
<h1>{{ text.feedback_for.format(name=submission.name) }}</h1>
<p><strong>{{ text.score.format(score=submission.score | points, max_score=submission.max_score | points) }}</strong></p>
{% if submission.get("problem") %}
<div class="problem"><p>{{ text.not_graded }}</p><pre>{{ submission.get("problem") }}</pre></div>
{% endif %}
<table>
<tr><th>{{ text.exercise }}</th><th>{{ text.status }}</th><th class="num">{{ text.points }}</th></tr>
{% for module, exercise in submission.exercises.items() %}
<tr><td><a href="#{{ module }}">{{ module }}</a></td><td>{{ exercise.status | badge }}</td>
<td class="num">{{ exercise.score | points }} / {{ exercise.max_score | points }}</td></tr>
{% endfor %}
</table>
{% if not submission.get("problem") %}
{% for module, exercise in submission.exercises.items() %}
<h2 id="{{ module }}">{{ module }} {{ exercise.status | badge }}
<span class="muted">{{ text.of_points.format(score=exercise.score | points, max_score=exercise.max_score | points) }}</span></h2>
{% if exercise.status == "not_submitted" %}
<p>{{ text.not_submitted.format(file=module ~ ".py") }}</p>
{% else %}
<table>
<tr><th>{{ text.check }}</th><th>{{ text.status }}</th><th class="num">{{ text.points }}</th></tr>
{% for check in exercise.checks %}
<tr><td>{% if check.status != "passed" %}<a href="#{{ module }}:{{ check.name }}">{{ check.name }}</a>
{% else %}{{ check.name }}{% endif %}</td><td>{{ check.status | badge }}</td>
<td class="num">{{ check.points | points }} / {{ check.max_points | points }}</td></tr>
{% endfor %}
</table>
{% for check in exercise.checks if check.status != "passed" %}
<details open id="{{ module }}:{{ check.name }}">
<summary>{{ check.name }} {{ check.status | badge }}</summary>
{% if check.get("same_as") %}
<p class="muted">{{ check | repeated }}</p>
{% else %}
{% if check.get("mistake") %}<p class="mistake">{{ text.mistake.format(mistake=check.get("mistake") | message) }}</p>{% endif %}
<pre>{{ check.message }}</pre>
{% set also = also_failed(exercise.checks, check) %}
{% if also %}<p class="muted">{{ also }}</p>{% endif %}
{% if check.get("counterexample", {}).get("window") %}
{% set w = check.counterexample.window %}
<figure class="window"><table class="input">
{% for row in check.counterexample.input %}{% set r = loop.index0 %}
<tr>{% for v in row %}{% set c = loop.index0 %}<td{% if r in range(*w.rows) and c in range(*w.cols) %} class="in-window"{% endif %}>{{ v | points if v is not none else "n/f" }}</td>{% endfor %}</tr>
{% endfor %}
</table><figcaption class="muted">{{ w.text }}</figcaption></figure>
{% endif %}
{% if check.get("counterexample") %}
<figure><img src="{{ check.get("counterexample") | heatmaps }}"
alt="{{ text.heatmaps_alt.format(check=check.name) }}">
<figcaption class="muted">{{ text.heatmaps_caption }}</figcaption></figure>
{% endif %}
{% endif %}
</details>
{% endfor %}
{% endif %}
{% endfor %}
{% endif %}
{% endblock %}
"""

INDEX = """{% extends "layout.html" %}
""" + STUDENT_BLOCKS + """{% block title %}{{ text.pages }}{% endblock %}
{% block body %}
<h1>{{ text.pages }}</h1>
<table>
<tr><th>{{ text.submission }}</th><th class="num">{{ text.score_column }}</th></tr>
{% for submission, page in pages %}
<tr><td><a href="{{ page }}">{{ submission.name }}</a></td>
<td class="num">{{ submission.score | points }} / {{ submission.max_score | points }}</td></tr>
{% endfor %}
</table>
{% endblock %}
"""

INDEX_PAGE = "index.html"

HTML_LANG = {"en": "en", "zh": "zh-CN"}
"""The ``lang`` attribute of a page in each language of :data:`grader.i18n.LANGUAGES`."""


def page_text() -> dict[str, str]:
    """Every label of the students' pages, in the current language (``{name}``-style
    placeholders are filled in the templates)."""
    return {
        "lang": HTML_LANG.get(current_language(), current_language()),
        "feedback_for": _("Feedback for {name}"),
        "score": _("Score: {score} / {max_score} points"),
        "not_graded": _("This submission could not be graded:"),
        "exercise": _("exercise"),
        "status": _("status"),
        "points": _("points"),
        "check": _("check"),
        "of_points": _("{score} / {max_score} points"),
        "not_submitted": _("{file} was not submitted."),
        "mistake": _("Recognised mistake: {mistake}"),
        "heatmaps_alt": _("heatmaps of the expected result, the result received and their difference for {check}"),
        "heatmaps_caption": _("The smallest failing input's expected result, the result received, and received "
                              "minus expected (red: too large, blue: too small)."),
        "pages": _("Feedback pages"),
        "submission": _("submission"),
        "score_column": _("score"),
        "footer": _("convgrade {version}: profile {profile}, seed {seed}, device {device}; torch {torch}, "
                    "hypothesis {hypothesis}."),
    }


def points(value: float) -> str:
    """Points as the tables print them: ``2``, ``1.5``."""
    return f"{value:g}"


def badge(status: str, translate: bool = False) -> Markup:
    """A coloured label for a check or exercise status: in English (the teacher's pages), or
    with ``translate`` in the current language (the students' pages)."""
    if status not in STATUS_COLOURS:
        raise ValueError(f"unknown status {status!r}")
    word = status_word(status) if translate else STATUS_WORDS[status]
    return Markup('<span class="status status-{0}">{1}</span>').format(status, word)


@functools.lru_cache(maxsize=64)
def _heatmaps(counterexample_json: str, language: str) -> str:
    return counterexample_data_uri(json.loads(counterexample_json))


def heatmaps(counterexample: dict[str, list]) -> str:
    """A check's counterexample drawn as a ``data:`` URI; checks that failed on the same
    matrices (often several checks of one task) share one drawing."""
    return _heatmaps(json.dumps(counterexample), current_language())


def _check_name(record_name: str) -> str:
    """``"cust_conv2d[keeps_float64]"`` -> ``"keeps_float64"``."""
    return record_name.partition("[")[2].rstrip("]") or record_name


def repeated(check: dict[str, Any]) -> str:
    """The one line a check shows whose failure repeats an earlier check's (``same_as``)."""
    return repeat_line(check["message"].split("\n", 1)[0], _check_name(check["same_as"]))


def also_failed(checks: list[dict[str, Any]], check: dict[str, Any]) -> str:
    """Under a check's full feedback: the other checks that failed the same way, or ""."""
    others = [_check_name(c["name"]) for c in checks if c.get("same_as") == check["name"]]
    return also_failed_line(others) if others else ""


def environment(**templates: str) -> jinja2.Environment:
    """A Jinja2 environment that escapes every value, knows ``layout.html`` and ``templates``
    (name -> source), and has the filters ``points``, ``badge`` and ``heatmaps``."""
    env = jinja2.Environment(loader=jinja2.DictLoader({"layout.html": LAYOUT, **templates}), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(points=points, badge=badge, heatmaps=heatmaps)
    env.globals["status_colours"] = STATUS_COLOURS
    return env


_PAGES = environment(feedback=FEEDBACK, index=INDEX)
_PAGES.filters.update(badge=functools.partial(badge, translate=True), message=_, repeated=repeated)
_PAGES.globals["also_failed"] = also_failed  # message: a record's English msgid (a mistake), shown


def render_feedback(submission: dict[str, Any], document: dict[str, Any]) -> str:
    """The feedback page of one submission of a results ``document``, in the current language."""
    return _PAGES.get_template("feedback").render(submission=submission, document=document, text=page_text())


def page_names(names: list[str]) -> list[str]:
    """One distinct page per submission name (see :func:`grader.outputs.filenames.distinct_file_names`)."""
    return distinct_file_names(names, ".html", reserved=(INDEX_PAGE,))


def write_feedback_html(document: dict[str, Any], path: Path) -> Path:
    """A folder at ``path`` with one feedback page per submission and an ``index.html``
    linking them (a writer of :data:`grader.outputs.formats.WRITERS`' shape)."""
    path.mkdir(parents=True, exist_ok=True)
    submissions = document["submissions"]
    pages = page_names([s["name"] for s in submissions])
    for submission, page in zip(submissions, pages, strict=True):
        atomic.write_text(path / page, render_feedback(submission, document))
    index = _PAGES.get_template("index").render(pages=list(zip(submissions, pages, strict=True)), document=document,
                                                text=page_text())
    atomic.write_text(path / INDEX_PAGE, index)
    return path
