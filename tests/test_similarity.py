"""The similarity report on a class written for it (tests/similarity_class.py): the shared
solution is flagged first, the copied model answer is flagged against solutions/, independent
solutions and untouched stubs are not; the page shows the flagged pairs side by side and loads
in headless Chromium; the report and the commands carry it."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from grader.codenorm import normalise
from grader.commands import report as report_command
from grader.commands import similarity as similarity_command
from grader.exercise_code import notebook_parts
from grader.outputs.report import render_report
from grader.outputs.similarity_page import render_similarity, runs
from grader.run.submissions import discover
from grader.similarity import MIN_SCORE, MIN_Z, REFERENCE, compare_class, compare_exercise, is_unusual, matched_spans
from grader.stubs import make_stub
from tests.browser import CHROMIUM, browse
from tests.conftest import SOLUTIONS
from tests.similarity_class import (
    EX01,
    SHARED,
    SHARED_RENAMED_CELLS,
    SHIFTED,
    STUBS,
    UNFOLDED,
    model_answer_renamed,
    write_class,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_class(tmp_path_factory.mktemp("similarity"))


@pytest.fixture(scope="module")
def report(folder):
    return compare_class(discover([str(folder)]), SOLUTIONS)


def names(pair) -> set[str]:
    return {pair.first, pair.second}


def test_the_shared_solution_is_flagged_first(report) -> None:
    flagged = report.flagged(with_reference=False)
    assert [names(p) for p in flagged] == [{"amir", "bea"}]
    pair = flagged[0]
    assert pair.module == EX01 and pair.score >= MIN_SCORE and pair.z >= MIN_Z
    ex01 = report.exercise(EX01)
    assert pair.rank <= 2 and pair.pairs == ex01.pairs == 15  # 6 compared: 5 students and the model answer


def test_the_copied_model_answer_is_flagged_against_solutions(report) -> None:
    leaks = report.flagged(with_reference=True)
    assert [names(p) for p in leaks] == [{"eve", REFERENCE}]
    assert leaks[0].score > 0.95 and leaks[0].rank == 1


def test_independent_solutions_are_not_flagged(report) -> None:
    ex01 = report.exercise(EX01)
    flagged = [names(p) for p in ex01.flagged]
    assert all(not names_ & {"chen", "dara"} for names_ in flagged)
    independent = [p for p in ex01.top if names(p) == {"chen", "dara"}]
    assert not independent or independent[0].score < MIN_SCORE


def test_untouched_stubs_are_boilerplate_and_not_compared(report) -> None:
    ex01 = report.exercise(EX01)
    assert ex01.untouched == list(STUBS)
    assert set(ex01.pieces) == {"amir", "bea", "chen", "dara", "eve", REFERENCE}
    assert not [p for e in report.exercises for p in e.top if names(p) & set(STUBS)]
    assert [e.module for e in report.exercises] == [EX01]  # nobody wrote code for the others


def test_renaming_and_docstrings_change_nothing_but_the_api_does() -> None:
    solution = (SOLUTIONS / f"{EX01}.py").read_text()
    assert normalise(model_answer_renamed()).text == normalise(solution).text
    without_docstrings = re.sub(r'""".*?"""', "", solution, flags=re.DOTALL)
    assert normalise(without_docstrings).text == normalise(solution).text
    assert ".unfold" in normalise(UNFOLDED).text and "kh" not in normalise(UNFOLDED).text


def test_normalised_text_maps_back_to_the_source() -> None:
    code = normalise(SHARED)
    start = code.text.index("range")
    assert [SHARED[a:b] for a, b in code.source_spans(start, start + 5)] == ["range"]
    first_v = code.text.index("V")
    assert [SHARED[a:b] for a, b in code.source_spans(first_v, first_v + 1)] == ["X"]
    body = code.text.index("V,V=V.shape")  # the helper's body, after its docstring
    spans = code.source_spans(body - 2, body + 11)  # "):" then the first line of the body
    assert [SHARED[a:b] for a, b in spans] == ["):", "kh, kw = K.shape"]


def test_notebook_cells_are_cut_into_exercises_with_their_helpers() -> None:
    code = "\n".join(SHARED_RENAMED_CELLS)
    parts = notebook_parts(code)
    assert list(parts) == [EX01]
    for helper in ("def flip_both", "def local_product", "def cust_conv2d", "def true_conv2d"):
        assert helper in parts[EX01]
    assert "print(" not in parts[EX01] and "import torch" not in parts[EX01]
    with pytest.raises(ValueError):
        notebook_parts("def broken(:\n")


def test_a_score_half_the_class_shares_is_not_flagged() -> None:
    stub = make_stub((SOLUTIONS / f"{EX01}.py").read_text())
    sources = {f"s{i:02d}": model_answer_renamed() for i in range(10)}
    sources |= {"chen": UNFOLDED, "dara": SHIFTED}
    result = compare_exercise(EX01, sources, stub)
    assert result.pairs == 66 and result.median == pytest.approx(1.0)
    assert result.flagged == []
    identical = result.top[0]
    assert identical.score == pytest.approx(1.0) and identical.rank == 45  # 45 identical pairs tie at the top


def test_the_rule_needs_both_a_high_score_and_an_outlier() -> None:
    assert is_unusual(0.9, 5.0, 100)
    assert not is_unusual(0.4, 9.0, 100)  # rare but not much shared
    assert not is_unusual(0.95, 1.0, 100)  # much shared, by many
    assert not is_unusual(0.95, 9.0, 3)  # no class to stand out of


def test_matched_spans_cover_the_shared_helper_in_both(report) -> None:
    ex01 = report.exercise(EX01)
    amir, bea = ex01.pieces["amir"], ex01.pieces["bea"]
    for piece, spans, words in ((amir, matched_spans(amir, bea)[0], "(patch * K).sum()"),
                                (bea, matched_spans(amir, bea)[1], "(region * ker).sum()")):
        marked = "".join(text for text, hit in runs(piece.code.source, spans) if hit)
        assert words in marked
        assert "My cross-correlation" not in marked  # docstrings are never matched


def test_runs_cut_the_source_at_the_spans() -> None:
    assert runs("abcdef", [(1, 3), (2, 4)]) == [("a", False), ("bcd", True), ("ef", False)]
    assert runs("ab", []) == [("ab", False)]


def test_page_lays_out_flagged_pairs_side_by_side(report) -> None:
    html = render_similarity(report)
    assert html.count('<div class="pair">') == 2
    assert "amir · bea" in html and "top 13 % of 15 pairs" in html
    assert "Copies of the model answer" in html and f"eve · {REFERENCE}" in html
    assert "<mark>" in html and "<script" not in html


def test_everything_from_a_submission_is_escaped(tmp_path) -> None:
    hostile_name, hostile_code = "<b onclick=alert(1)>", "</pre><script>alert(1)</script>"
    for i, source in enumerate((SHARED, SHARED, UNFOLDED, SHIFTED, model_answer_renamed())):
        folder = tmp_path / (f"s{i}" + (hostile_name if i == 0 else ""))
        folder.mkdir()
        (folder / f"{EX01}.py").write_text(source.replace("def window_sum", f"# {hostile_code}\ndef window_sum"))
    html = render_similarity(compare_class(discover([str(tmp_path)]), SOLUTIONS))
    assert html.count('<div class="pair">') == 2  # the hostile code is shown
    assert "<script" not in html and "<b onclick" not in html
    assert "&lt;/pre&gt;&lt;script&gt;" in html and "&lt;b onclick=alert(1)&gt;" in html


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="convgrade")
    commands = parser.add_subparsers(dest="command", required=True)
    similarity_command.register(commands)
    report_command.register(commands)
    return parser.parse_args(argv)


def test_similarity_command_writes_the_page_and_json(folder, tmp_path, capsys) -> None:
    args = parse("similarity", str(folder), "--html", str(tmp_path / "s.html"), "--json")
    assert args.run(args) == 0
    out, err = capsys.readouterr()
    assert "2 pairs flagged among 8 submissions" in err
    document = json.loads(out)
    ex01 = document["exercises"][0]
    assert ex01["module"] == EX01 and ex01["untouched"] == list(STUBS)
    flagged = [{p["first"], p["second"]} for p in ex01["top"] if p["flagged"]]
    assert sorted(map(sorted, flagged)) == [["amir", "bea"], ["eve", REFERENCE]]
    assert (tmp_path / "s.html").read_text().count("<mark>") >= 4


def test_similarity_command_needs_the_model_answers(folder, tmp_path, capsys) -> None:
    args = parse("similarity", str(folder), "--html", str(tmp_path / "s.html"), "--solutions", str(tmp_path))
    assert args.run(args) == 2
    assert "no model answers" in capsys.readouterr().err
    assert not (tmp_path / "s.html").exists()


DOCUMENT = {"submissions": [], "profile": "grading", "seed": 0, "device": "cpu",
            "versions": {"convgrade": "0", "torch": "0", "hypothesis": "0"}}


def test_report_has_a_similarity_section_when_the_submissions_are_given(folder, tmp_path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(DOCUMENT))
    plain = parse("report", str(results), "--html", str(tmp_path / "plain.html"))
    with_code = parse("report", str(results), "--html", str(tmp_path / "full.html"), "--submissions", str(folder))
    assert plain.run(plain) == 0 and with_code.run(with_code) == 0
    assert "Similar submissions" not in (tmp_path / "plain.html").read_text()
    full = (tmp_path / "full.html").read_text()
    assert 'id="similarity"' in full and "amir · bea" in full and full.count('<div class="pair">') == 2


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/install-chromium installs it)")
def test_pages_load_in_chromium_without_errors(report, tmp_path) -> None:
    for html in (render_similarity(report), render_report(DOCUMENT, report)):
        seen = browse(html, tmp_path)
        assert seen["errors"] == [], seen
        assert seen["marks"] >= 4, seen
