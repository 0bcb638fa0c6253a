"""ex09 (receptive fields): the reference agrees with the gradient footprint of real
convolutions, each check fails plausible wrong answers, and correct answers in other styles pass."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from grader.catalog.ex09_receptive_field import (EXAMPLES, footprint_details, gradient_footprint, layer_stacks,
                                                 reference_receptive_field)
from tests.conftest import failed, solution_source

MODULE = "ex09_receptive_field"
SOLUTION = solution_source(MODULE)
SHAPE, VALUES = "receptive_field[returns_three_numbers]", "receptive_field[matches_reference]"


def measured(layers) -> tuple[int, int, float]:
    m = gradient_footprint(layers)
    return m["size"], m["jump"], m["start"]


@pytest.mark.parametrize("layers, expected", [
    ([], (1, 1, 0.0)),
    ([(3, 1, 0, 1), (3, 1, 0, 1)], (5, 1, 2.0)),
    ([(5, 1, 0, 1), (2, 2, 0, 1), (3, 1, 0, 1), (2, 2, 0, 1)], (12, 4, 5.5)),  # CNNNet: pixels 0..11
    ([(3, 1, 1, 1)], (3, 1, 0.0)),  # "same" padding keeps unit 0 over pixel 0
    ([(2, 1, 1, 3)], (4, 1, 0.5)),  # dilation 3 with padding 1: pixels -1 and 2
    ([(1, 2, 0, 1), (2, 1, 0, 1)], (3, 2, 1.0)),  # pixels 0 and 2, a hole at 1
])
def test_reference_and_footprint_on_hand_computed_stacks(layers, expected) -> None:
    assert reference_receptive_field(layers) == expected
    assert measured(layers) == expected


def test_footprint_is_measured_inside_the_input_and_has_holes_under_dilation() -> None:
    m = gradient_footprint([(2, 1, 0, 3)])
    assert 0 < m["first"] and m["last"] < m["length"] - 1
    assert (m["size"], m["last"] - m["first"]) == (4, 3)


@settings(max_examples=150, deadline=None, database=None)
@given(layer_stacks())
def test_reference_agrees_with_the_gradient_footprint(layers) -> None:
    assert reference_receptive_field(layers) == measured(layers)


def test_pinned_examples_agree_with_the_gradient_footprint() -> None:
    for call in EXAMPLES:
        assert reference_receptive_field(*call.args) == measured(*call.args), call.label


def mutant(old: str, new: str) -> str:
    assert SOLUTION.count(old) == 1, old
    return SOLUTION.replace(old, new)


SIZE_LINE = "        size += (span - 1) * jump\n"
START_LINE = "        start += ((span - 1) / 2 - padding) * jump\n"
JUMP_LINE = "        jump *= stride\n"

WRONG_VALUES = {
    "the layer's own stride instead of the cumulative jump": (
        mutant(SIZE_LINE, SIZE_LINE.replace("* jump", "* stride")), "one layer"),
    "the previous layer's stride instead of the cumulative jump": (
        mutant(JUMP_LINE, "        jump = stride\n"), "strides compound"),
    "dilation ignored": (mutant("span = dilation * (kernel - 1) + 1", "span = kernel"), "dilation 2"),
    "start ignoring padding": (mutant(START_LINE, START_LINE.replace(" - padding", "")), "padding"),
    "start at the field's left edge instead of its centre": (
        mutant(START_LINE, START_LINE.replace("(span - 1) / 2 - padding", "-padding")), "two 3-wide layers"),
    "size off by one": (mutant("size, jump, start = 1, 1, 0.0", "size, jump, start = 0, 1, 0.0"), "no layers"),
    "jump multiplied before the size grows": (
        mutant(SIZE_LINE + START_LINE + JUMP_LINE, JUMP_LINE + SIZE_LINE + START_LINE), "one layer"),
}


@pytest.mark.parametrize("bug", list(WRONG_VALUES))
def test_wrong_recurrence_fails_matches_reference(grade_source, bug: str) -> None:
    source, label = WRONG_VALUES[bug]
    results = grade_source(MODULE, source)
    assert failed(results) == {VALUES}
    message = results[VALUES].message
    assert results[VALUES].status == "failed" and label in message, message
    if "no layers" not in message:
        assert "measured: in a stack of real convolutions" in message


def test_measurement_in_the_feedback_states_the_right_numbers() -> None:
    (line,) = footprint_details([(3, 2, 0, 1)])
    assert "(size 3, centre" in line and "(jump 2)" in line and line.endswith("= 1")


def test_float_size_and_jump_fail_both_checks(grade_source) -> None:
    results = grade_source(MODULE, mutant("return size, jump, start", "return float(size), float(jump), start"))
    assert failed(results) == {SHAPE, VALUES}
    assert "size and jump should be ints" in results[SHAPE].message
    assert "a float; expected the int" in results[VALUES].message


def test_a_dict_fails_returns_three_numbers(grade_source) -> None:
    results = grade_source(MODULE, mutant("return size, jump, start",
                                          'return {"size": size, "jump": jump, "start": start}'))
    assert SHAPE in failed(results)
    assert "should return a tuple (size, jump, start)" in results[SHAPE].message


def test_a_crash_is_reported_as_an_error(grade_source) -> None:
    results = grade_source(MODULE, """
        def receptive_field(layers):
            kernel, stride, padding, dilation = layers[-1]
            return kernel, stride, float(padding)
    """)
    assert results[SHAPE].passed
    assert results[VALUES].status == "error" and "raised IndexError" in results[VALUES].message
    assert "no layers" in results[VALUES].message


BACKWARD = """
    from fractions import Fraction
    import numpy as np


    def receptive_field(layers):
        size = 1
        for k, s, p, d in reversed(layers):  # from the last unit back to the input
            size = (size - 1) * s + d * (k - 1) + 1
        jumps = np.cumprod([1] + [s for _, s, _, _ in layers])
        left = sum(-p * int(j) for (_, _, p, _), j in zip(layers, jumps))
        start = Fraction(2 * left + size - 1, 2)
        return [np.int64(size), jumps[-1], start if start.denominator > 1 else int(start)]
"""

MEASURED = """
    import torch


    def receptive_field(layers):
        n = 4096
        x = torch.zeros(n, dtype=torch.float64, requires_grad=True)
        y = x[None, None]
        for k, s, p, d in layers:
            y = torch.nn.functional.conv1d(y, torch.ones(1, 1, k, dtype=torch.float64), stride=s, padding=p,
                                           dilation=d)
        u = y.shape[-1] // 2
        spans = []
        for unit in (u, u + 1):
            (g,) = torch.autograd.grad(y[0, 0, unit], x, retain_graph=True)
            hit = g.nonzero().flatten().tolist()
            spans.append((hit[0], hit[-1]))
        (a, b), (a2, _) = spans
        jump = a2 - a
        return b - a + 1, jump, (a + b) / 2 - u * jump
"""


CONSUMING = """
    def receptive_field(layers):
        size, jump, left = 1, 1, 0
        while layers:  # empties the caller's list
            k, s, p, d = layers.pop(0)
            size, left, jump = size + d * (k - 1) * jump, left - p * jump, jump * s
        return (size, jump, left + (size - 1) / 2)
"""


@pytest.mark.parametrize("source", [BACKWARD, MEASURED, CONSUMING],
                         ids=["backward_numpy_fraction", "measured_by_autograd", "consumes_its_list"])
def test_correct_submissions_in_other_styles_pass(grade_source, source: str) -> None:
    pinned = [list(call.args[0]) for call in EXAMPLES]
    results = grade_source(MODULE, source)
    assert set(results) == {SHAPE, VALUES}
    assert not failed(results), {k: r.message for k, r in results.items() if not r.passed}
    assert [call.args[0] for call in EXAMPLES] == pinned
