"""The window behind a wrong entry: which input entries and kernel entries produce it, printed
with the feedback, marked in the printed input and outlined on the HTML page."""

from __future__ import annotations

import re

import torch

from grader.engine.window import spatial_window
from tests.conftest import SOLUTIONS

EX01, EX06 = "ex01_cross_correlation", "ex06_conv2d"


def test_the_notes_window_by_hand() -> None:
    window = spatial_window((1, 2), (2, 2))  # Y[1, 2] of a 2x2 kernel reads X[1:3, 2:4]
    assert window.expression == "(X[1:3, 2:4] * K).sum()"
    marks = window.marks(torch.Size((4, 5)))
    assert marks.nonzero().tolist() == [[1, 2], [1, 3], [2, 2], [2, 3]]


def test_stride_dilation_and_padding_move_the_window() -> None:
    # stride 2, dilation 2, padding 1: Y[1, 0] reads padded rows 2, 4, 6 = input rows 1, 3, 5
    window = spatial_window((1, 0), (3, 3), stride=2, dilation=2, before=(1, 1))
    assert window.expression == "(Xp[2:7:2, 0:5:2] * K).sum()"
    assert list(window.rows) == [1, 3, 5] and list(window.cols) == [-1, 1, 3]
    assert window.marks(torch.Size((6, 6))).sum() == 3 * 2  # column -1 is padding


def test_a_wrong_entry_of_ex01_shows_its_window(grade_source) -> None:
    source = (SOLUTIONS / f"{EX01}.py").read_text().replace("(X[i:i + kh, j:j + kw] * K).sum()",
                                                             "(X[i:i + kh, j:j + kw] * K).sum() + (i == 1)")
    message = grade_source(EX01, source)["cust_conv2d[matches_torch]"].message
    line = re.search(r"expected Y\[(\d+), (\d+)\] = \(X\[(\d+):(\d+), (\d+):(\d+)\] \* K\)\.sum\(\) = \S+, got \S+", message)
    assert line, message
    i, j, r0, r1, c0, c1 = map(int, line.groups())
    assert i == 1 and (r0, c0) == (i, j)  # the wrong row; its window starts there
    assert "(# = the input entries Y[" in message and "#" in message.split("arg 2")[0]


def test_a_wrong_entry_of_ex06_shows_its_window(grade_source) -> None:
    source = (SOLUTIONS / f"{EX06}.py").read_text() + '''

_conv2d = conv2d


def conv2d(input, weight, *args, **kwargs):
    return _conv2d(input, weight.flip(-1, -2), *args, **kwargs)
'''
    message = grade_source(EX06, source)["conv2d[matches_torch]"].message
    assert re.search(r"expected Y\[[\d, ]+\] = \(Xp?\[[^\]]+\] \* weight\[\d+\]\)\.sum\(\)( \+ bias\[\d+\])? = ", message), message
    assert "(# = the input entries Y[" in message


def test_the_html_page_outlines_the_window_on_the_input(tmp_path) -> None:
    from grader.batch import grade_class, results_document
    from grader.outputs.feedback_html import render_feedback
    from grader.run.submissions import discover
    from tests.test_batch import PLAN

    folder = tmp_path / "wen"
    folder.mkdir()
    (folder / f"{EX01}.py").write_text((SOLUTIONS / f"{EX01}.py").read_text().replace(
        "(X[i:i + kh, j:j + kw] * K).sum()", "(X[i:i + kh, j:j + kw] * K).sum() + (i == 1)"))
    [record] = grade_class(discover([str(folder)]), PLAN, jobs=1)
    check = next(c for c in record["exercises"][EX01]["checks"] if c["name"] == "cust_conv2d[matches_torch]")
    window = check["counterexample"]["window"]
    assert window["text"].startswith("expected Y[1, ") and window["rows"][0] == 1
    page = render_feedback(record, results_document([record], PLAN))
    kh = window["rows"][1] - window["rows"][0]
    kw = window["cols"][1] - window["cols"][0]
    assert page.count('class="in-window"') >= kh * kw and window["text"] in page
