"""The class report, the feedback pages and their pictures, on results graded for real: a tiny
class (a correct ex01, one whose cust_conv2d flips the kernel, one that submitted no exercise
file) graded by the batch grader, then rendered, and shown in headless Chromium."""

from __future__ import annotations

import argparse
import copy
import io
import json
import re
from pathlib import Path

import matplotlib.image
import pytest
from markupsafe import escape

from grader.batch import Plan, grade_class, results_document
from grader.commands import report as report_command
from grader.engine.settings import Settings
from grader.outputs.feedback_html import page_names, render_feedback, write_feedback_html
from grader.outputs.formats import write_json
from grader.outputs.pictures import counterexample_figure, counterexample_png
from grader.outputs.report import render_report, summarise
from grader.run.limits import Limits
from grader.run.submissions import discover
from tests.browser import CHROMIUM, browse
from tests.conftest import SOLUTIONS

EX01 = "ex01_cross_correlation"
FLIPPER = 'bob <b>"&'  # a folder name that is also markup
HOSTILE = '</pre><script>document.title="pwned"</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict:
    """The results JSON of the tiny class, as written to disk and read back."""
    root = tmp_path_factory.mktemp("report")
    solution = (SOLUTIONS / f"{EX01}.py").read_text()
    for name, source in {"ada": solution, FLIPPER: solution.replace("* K).sum()", "* K.flip(0, 1)).sum()")}.items():
        (root / "class" / name).mkdir(parents=True)
        (root / "class" / name / f"{EX01}.py").write_text(source)
    (root / "class" / "cy").mkdir()
    (root / "class" / "cy" / "notes.txt").write_text("I did not get to it\n")
    plan = Plan(Settings(profile="student", seed=1), Limits())
    records = grade_class(discover([str(root / "class")]), plan, jobs=1)
    path = write_json(results_document(records, plan), root / "results.json")
    return json.loads(path.read_text())


def submission(document: dict, name: str) -> dict:
    return next(s for s in document["submissions"] if s["name"] == name)


def checks(document: dict, name: str) -> list[dict]:
    return submission(document, name)["exercises"][EX01]["checks"]


def first_counterexample(document: dict) -> dict:
    return next(c["counterexample"] for c in checks(document, FLIPPER) if "counterexample" in c)


def test_the_class_was_graded_as_planned(document) -> None:
    assert submission(document, "ada")["exercises"][EX01]["status"] == "passed"
    assert submission(document, FLIPPER)["exercises"][EX01]["status"] == "failed"
    assert "no exercise files" in submission(document, "cy")["problem"]


def test_exercise_statistics_count_the_graded_submitters(document) -> None:
    report = summarise(document)
    assert (report.submissions, report.graded, report.assigned) == (3, 2, [EX01])
    ex01 = next(e for e in report.exercises if e.module == EX01)
    assert (ex01.submitted, ex01.passed, ex01.pass_rate) == (2, 1, 0.5)
    flipper_score = submission(document, FLIPPER)["exercises"][EX01]["score"]
    assert ex01.mean_score == pytest.approx((ex01.max_score + flipper_score) / 2)
    assert sorted(report.percents) == pytest.approx([0, 100 * flipper_score / ex01.max_score, 100])
    others = [e for e in report.exercises if e.module != EX01]
    assert others and all(e.submitted == 0 and e.pass_rate is None for e in others)


def test_failing_checks_are_those_of_the_flipped_kernel(document) -> None:
    report = summarise(document)
    failed = {c["name"] for c in checks(document, FLIPPER) if c["status"] != "passed"}
    assert failed and {c.name for c in report.checks} == failed
    assert all(c.count == 1 and c.submitted == 2 and c.statuses == {"failed": 1} for c in report.checks)
    assert all(c.example.startswith(c.name.split("[")[0]) for c in report.checks)


def test_mistakes_count_students_not_checks(document) -> None:
    twice = copy.deepcopy(document)
    dan = copy.deepcopy(submission(document, FLIPPER)) | {"name": "dan"}
    for check in dan["exercises"][EX01]["checks"]:
        check.pop("mistake", None)
    dan["exercises"][EX01]["checks"][0]["mistake"] = "made-up mistake"
    dan["exercises"][EX01]["checks"][1]["mistake"] = "made-up mistake"
    twice["submissions"].append(dan)
    mistakes = {m.mistake: m for m in summarise(twice).mistakes}
    assert mistakes["made-up mistake"].students == ["dan"]
    assert mistakes["made-up mistake"].checks == [c["name"] for c in dan["exercises"][EX01]["checks"][:2]]
    recognised = {c["mistake"] for c in checks(document, FLIPPER) if c.get("mistake")}
    assert all(mistakes[m].students == [FLIPPER] for m in recognised)


def test_attention_lists_the_ungradable_and_the_lowest(document) -> None:
    report = summarise(document)
    attention = {a.name: a.reasons for a in report.attention}
    assert set(attention) == {"cy", FLIPPER}
    assert attention["cy"][0].startswith("could not be graded")
    percent = report.percents[document["submissions"].index(submission(document, FLIPPER))]
    assert attention[FLIPPER] == [f"among the lowest scores ({percent:.0f} %)"]
    order = [(a.score / a.max_score if a.max_score else 0.0, a.name) for a in report.attention]
    assert order == sorted(order)  # lowest score first, then by name


def test_alarming_statuses_need_attention_whatever_the_score(document) -> None:
    changed = copy.deepcopy(document)
    ada = submission(changed, "ada")
    ada["exercises"][EX01]["status"] = "timeout"
    ada["grader_failed"] = True
    reasons = {a.name: a.reasons for a in summarise(changed).attention}["ada"]
    assert reasons == [f"{EX01}: timeout", "the grader failed on this submission"]


def test_heatmaps_share_a_scale_and_centre_the_difference(document) -> None:
    counterexample = first_counterexample(document)
    figure = counterexample_figure(counterexample)
    panels = {ax.get_title(): ax for ax in figure.axes if ax.get_title()}
    shape = "{}×{}".format(len(counterexample["got"]), len(counterexample["got"][0]))
    expected_ax, got_ax, diff_ax = panels[f"expected {shape}"], panels[f"got {shape}"], panels["got − expected"]
    values = [v for k in ("expected", "got") for row in counterexample[k] for v in row]
    for ax in (expected_ax, got_ax):
        assert (ax.images[0].norm.vmin, ax.images[0].norm.vmax) == (min(values), max(values))
    assert diff_ax.images[0].norm.vmin == -diff_ax.images[0].norm.vmax
    written = [[t.get_text() for t in ax.texts] for ax in (expected_ax, got_ax)]
    assert written == [[f"{v:.3g}" for row in counterexample[k] for v in row] for k in ("expected", "got")]
    png = counterexample_png(counterexample)
    height, width, _ = matplotlib.image.imread(io.BytesIO(png), format="png").shape
    assert 300 < width < 1000 and 100 < height < 400


@pytest.mark.parametrize("counterexample,words", [
    ({"expected": [[1.0, None], [3.0, 4.0]], "got": [[1.0, 2.0, 3.0]]}, "shapes differ"),
    ({"expected": [[1.0, 2.0]], "got": [[None, 2.0]]}, "not a finite number"),
])
def test_heatmaps_of_odd_results_say_what_is_odd(counterexample, words) -> None:
    figure = counterexample_figure(counterexample)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts] + [figure.get_supxlabel()]
    assert any(words in t for t in texts)
    assert counterexample_png(counterexample).startswith(b"\x89PNG")


def test_feedback_folder_has_a_page_per_submission(document, tmp_path) -> None:
    folder = write_feedback_html(document, tmp_path / "feedback")
    pages = page_names([s["name"] for s in document["submissions"]])
    assert sorted(p.name for p in folder.iterdir()) == sorted([*pages, "index.html"])
    index = (folder / "index.html").read_text()
    assert all(f'href="{page}"' in index for page in pages)
    flipper = (folder / pages[[s["name"] for s in document["submissions"]].index(FLIPPER)]).read_text()
    failed = [c for c in checks(document, FLIPPER) if c["status"] != "passed"]
    shown = [c for c in failed if "same_as" not in c]  # one block per bug: repeats are one line
    assert len(shown) < len(failed) and flipper.count("<pre>") == len(shown)
    assert flipper.count("the same failure on the same input as") == len(failed) - len(shown)
    assert flipper.count('src="data:image/png;base64,') == sum("counterexample" in c for c in shown)
    assert "bob &lt;b&gt;&#34;&amp;" in flipper and "<b>" not in flipper
    cy = (folder / "cy.html").read_text()
    assert "could not be graded" in cy and "<details" not in cy


def test_page_names_are_safe_and_distinct() -> None:
    names = page_names(["a b", "a_b", "A_B", "index", "", "../../etc/passwd", "é" * 300])
    assert len({n.casefold() for n in names}) == len(names) and "index.html" not in names
    assert all(re.fullmatch(r"[\w-][\w.-]*\.html", n) and len(n) < 100 for n in names)


def test_everything_from_a_submission_is_escaped(document) -> None:
    hostile = copy.deepcopy(document)
    flipper = submission(hostile, FLIPPER)
    flipper["name"] = HOSTILE
    for check in flipper["exercises"][EX01]["checks"]:
        check["message"] = HOSTILE
        if check["status"] != "passed":
            check["mistake"] = HOSTILE
    submission(hostile, "cy")["problem"] = HOSTILE
    cy = submission(hostile, "cy")
    pages = [render_report(hostile), render_feedback(flipper, hostile), render_feedback(cy, hostile)]
    for page in pages:
        assert HOSTILE not in page and "<script" not in page and "<img src=x" not in page
        assert str(escape(HOSTILE)) in page


def run_report(*args: str) -> int:
    parser = argparse.ArgumentParser(prog="convgrade")
    report_command.register(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["report", *args])
    return parsed.run(parsed)


def test_report_command_writes_the_report_and_feedback(document, tmp_path, capsys) -> None:
    results = write_json(document, tmp_path / "results.json")
    assert run_report(str(results), "--html", str(tmp_path / "report.html"), "--feedback", str(tmp_path / "fb")) == 0
    assert "3 submission(s), 2 need attention" in capsys.readouterr().out
    html = (tmp_path / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 2 and "kernel" in html
    assert (tmp_path / "fb" / "ada.html").exists()


@pytest.mark.parametrize("content,words", [(None, "no such file"), ("{", "not a results JSON"),
                                           ("[]", "no list of submissions")])
def test_report_command_explains_bad_input(tmp_path, capsys, content, words) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    assert run_report(str(path), "--html", str(tmp_path / "report.html")) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/install-chromium installs it)")
def test_pages_load_in_chromium_with_every_image_shown(document, tmp_path) -> None:
    for html in (render_report(document), render_feedback(submission(document, FLIPPER), document)):
        seen = browse(html, tmp_path)
        assert seen["errors"] == []
        assert seen["images"] and all(width > 0 and height > 0 for width, height in seen["images"]), seen


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/install-chromium installs it)")
def test_chromium_probe_sees_a_page_that_reaches_out(document, tmp_path) -> None:
    html = render_report(document).replace("<h1>", '<img src="http://127.0.0.1:9/x.png"><h1>', 1)
    seen = browse(html, tmp_path)
    assert any(e.startswith("CSP img-src") for e in seen["errors"]), seen
    assert [0, 0] in seen["images"]
