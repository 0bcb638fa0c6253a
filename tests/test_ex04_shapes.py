"""ex04: the closed forms agree with the sizes torch produces; every check fails a plausible
wrong formula with a precise message; correct formulas in other styles pass, also where sympy
cannot prove them."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.catalog import ex04_shapes as ex04
from grader.engine import formulas, registry
from grader.engine.formulas import UnprovenFormula
from grader.engine.runner import Runner
from grader.run.target import InProcessTarget
from tests.conftest import EXERCISES, SOLUTIONS, TEST_SETTINGS, failed, solution_source

MODULE = "ex04_shapes"
SOLUTION = solution_source(MODULE)
EVERY_CHECK = {
    "conv_output_size[matches_torch]", "conv_output_size[proved_with_sympy]",
    "conv_transpose_output_size[matches_torch]", "conv_transpose_output_size[proved_with_sympy]",
    "pool_output_size[matches_torch]", "pool_output_size[ceil_mode]", "pool_output_size[proved_with_sympy]",
    "conv_weight_shape[matches_torch]", "conv_weight_shape[proved_with_sympy]",
    "conv_param_count[matches_torch]", "conv_param_count[proved_with_sympy]",
}


def mutant(old: str, new: str, imports: str = "") -> str:
    """The model answer with one piece of it replaced (and ``imports`` added)."""
    assert SOLUTION.count(old) == 1, old
    future = "from __future__ import annotations\n"
    return SOLUTION.replace(old, new).replace(future, future + imports)


# --- the references and closed forms ----------------------------------------------------------

GRIDS = [
    (ex04.conv_grid, ex04.formula_conv_output_size, ex04.reference_conv_output_size),
    (ex04.conv_transpose_grid, ex04.formula_conv_transpose_output_size, ex04.reference_conv_transpose_output_size),
    (lambda: ex04.pool_grid(False), ex04.formula_pool_output_size, ex04.reference_pool_output_size),
    (lambda: ex04.pool_grid(True), ex04.formula_pool_output_size, ex04.reference_pool_output_size),
    (ex04.weight_grid, ex04.formula_conv_weight_shape, ex04.reference_conv_weight_shape),
    (ex04.param_grid, ex04.formula_conv_param_count, ex04.reference_conv_param_count),
]


@pytest.mark.parametrize("grid, formula, reference", GRIDS)
def test_closed_form_is_torchs_size_on_the_whole_grid(grid, formula, reference) -> None:
    calls = grid()
    assert len(calls) > 100
    for call in calls:
        assert formula(*call.args, **call.kwargs) == reference(*call.args, **call.kwargs), call


@pytest.mark.parametrize("task", registry.get(MODULE).tasks, ids=lambda t: t.name)
def test_closed_form_is_torchs_size_on_the_pinned_examples(task) -> None:
    formula = getattr(ex04, f"formula_{task.name}")
    assert task.examples
    for call in task.examples:
        assert formula(*call.args, **call.kwargs) == task.reference(*call.args, **call.kwargs), call


def test_grids_hold_the_configurations_the_classic_bugs_need() -> None:
    def has(calls, **wanted) -> bool:
        return any(all(c.kwargs.get(k) == v for k, v in wanted.items()) for c in calls)

    assert has(ex04.conv_grid(), stride=3, padding=2, dilation=3)
    assert has(ex04.conv_transpose_grid(), output_padding=2, dilation=3)
    assert any("stride" not in c.kwargs and c.args[1] > 1 for c in ex04.pool_grid(False))  # stride None

    def ceil_without_the_rule(n, k, stride=None, padding=0, dilation=1, ceil_mode=True):
        return -(-(n + 2 * padding - dilation * (k - 1) - 1) // (stride or k)) + 1

    assert any(ceil_without_the_rule(*c.args, **c.kwargs) != ex04.reference_pool_output_size(*c.args, **c.kwargs)
               for c in ex04.pool_grid(True))
    rule = ex04.POOL_CEIL_EXAMPLES[-1]
    assert ceil_without_the_rule(*rule.args, **rule.kwargs) == 4
    assert ex04.reference_pool_output_size(*rule.args, **rule.kwargs) == 3
    assert has(ex04.weight_grid(), groups=3) and any(isinstance(c.args[2], tuple) for c in ex04.weight_grid())
    assert has(ex04.param_grid(), groups=2, bias=False)


def test_meta_shapes_are_the_shapes_of_real_tensors() -> None:
    sample = random.Random(0).sample(ex04.conv_grid(), 40)
    for call in sample:
        (n, k), kw = call.args, call.kwargs
        out = F.conv2d(torch.zeros(1, 1, n, 1), torch.zeros(1, 1, k, 1), stride=(kw.get("stride", 1), 1),
                       padding=(kw.get("padding", 0), 0), dilation=(kw.get("dilation", 1), 1))
        assert out.shape[2] == ex04.reference_conv_output_size(*call.args, **call.kwargs), call
    for call in random.Random(0).sample(ex04.param_grid(), 40):
        conv = nn.Conv2d(*call.args, **call.kwargs)
        assert sum(p.numel() for p in conv.parameters()) == ex04.reference_conv_param_count(*call.args, **call.kwargs)


def test_meta_tensors_would_miss_torchs_output_padding_rule() -> None:
    """Why transposed convolution is measured on CPU tensors: on meta tensors torch accepts an
    output_padding as large as the stride, which the grid must not contain."""
    x, w = torch.zeros(1, 1, 3, 1, device="meta"), torch.zeros(1, 1, 2, 1, device="meta")
    F.conv_transpose2d(x, w, stride=(1, 1), output_padding=(1, 0))
    with pytest.raises(RuntimeError):
        ex04.reference_conv_transpose_output_size(3, 2, output_padding=1)
    assert not any(c.kwargs.get("output_padding", 0) >= max(c.kwargs.get("stride", 1), c.kwargs.get("dilation", 1))
                   for c in ex04.conv_transpose_grid())


# --- wrong formulas -----------------------------------------------------------------------------

CONV = "    return (n + 2 * padding - span) // stride + 1\n"
POOL_CEIL = "    if (size - 1) * stride >= n + padding:\n        size -= 1\n"

WRONG = {
    "slash_instead_of_floordiv": (
        mutant(CONV, "    return (n + 2 * padding - span) / stride + 1\n"),
        {"conv_output_size[matches_torch]": ["a float", "use //"],
         "conv_output_size[proved_with_sympy]": ["not a whole number", "use //"]}),
    "math_floor": (
        mutant(CONV, "    return math.floor((n + 2 * padding - span) / stride) + 1\n", imports="import math\n"),
        {"conv_output_size[proved_with_sympy]": ["TypeError", "math.floor", "//"]}),
    "int_of_a_division": (
        mutant(CONV, "    return int((n + 2 * padding - span) / stride) + 1\n"),
        {"conv_output_size[proved_with_sympy]": ["TypeError", "int()"]}),
    "missing_plus_one": (
        mutant(CONV, "    return (n + 2 * padding - span) // stride\n"),
        {"conv_output_size[matches_torch]": ["should be 1, got 0", "arg 1 = 1"],
         "conv_output_size[proved_with_sympy]": ["differs from torch"]}),
    "dilation_ignored": (
        mutant("    span = dilation * (k - 1) + 1\n", "    span = k\n"),
        {"conv_output_size[matches_torch]": ["dilation = 2"], "conv_output_size[proved_with_sympy]": ["d=2"]}),
    "padding_counted_once": (
        mutant(CONV, "    return (n + padding - span) // stride + 1\n"),
        {"conv_output_size[matches_torch]": ["padding = 1"], "conv_output_size[proved_with_sympy]": ["p=1"]}),
    "transposed_without_output_padding": (
        mutant(" + output_padding + 1\n", " + 1\n"),
        {"conv_transpose_output_size[matches_torch]": ["output_padding = 1"],
         "conv_transpose_output_size[proved_with_sympy]": ["q=1"]}),
    "pool_stride_none_taken_as_one": (
        mutant("        stride = k\n", "        stride = 1\n"),
        {"pool_output_size[matches_torch]": ["arg 2 = 2"], "pool_output_size[ceil_mode]": ["arg 2 = 2"],
         "pool_output_size[proved_with_sympy]": ["differs from torch"]}),
    "ceil_mode_without_the_last_window_rule": (
        mutant(POOL_CEIL, ""),
        {"pool_output_size[ceil_mode]": ["padding = 1", "ceil_mode = True"]}),
    "a_comparison_of_sizes": (
        mutant("        return reach // stride + 1\n", "        return max(reach // stride + 1, 1)\n"),
        {"pool_output_size[proved_with_sympy]": ["Relational", "no truth value"]}),
    "weight_shape_without_groups": (
        mutant("    return (out_channels, in_channels // groups, kh, kw)\n",
               "    return (out_channels, in_channels, kh, kw)\n"),
        {"conv_weight_shape[matches_torch]": ["result[1]", "groups = 2"],
         "conv_weight_shape[proved_with_sympy]": ["g=2"],
         # the parameter count is built on the weight shape, so it is wrong too
         "conv_param_count[matches_torch]": ["groups = 2"], "conv_param_count[proved_with_sympy]": ["g=2"]}),
    "weight_shape_kernel_h_w_swapped": (
        mutant("    kh, kw = kernel_size\n", "    kw, kh = kernel_size\n"),
        {"conv_weight_shape[matches_torch]": ["(1, 2)"], "conv_weight_shape[proved_with_sympy]": ["kh=1, kw=2"]}),
    "param_count_without_bias": (
        mutant("    if bias:\n        count += out_channels\n", ""),
        {"conv_param_count[matches_torch]": ["should be 2, got 1"],
         "conv_param_count[proved_with_sympy]": ["differs from torch"]}),
    "right_on_ints_only": (
        mutant("    span = dilation * (k - 1) + 1\n",
               "    span = dilation * (k - 1) + 1\n    if not isinstance(n, int):\n        return n\n"),
        {"conv_output_size[proved_with_sympy]": ["returns n for sympy integer symbols", "differs from torch"]}),
}


@pytest.mark.parametrize("name", WRONG)
def test_wrong_formula_fails_exactly_the_checks_it_should(grade_source, name: str) -> None:
    source, expected = WRONG[name]
    results = grade_source(MODULE, source)
    assert failed(results) == set(expected), name
    for key, fragments in expected.items():
        for fragment in fragments:
            assert fragment in results[key].message, (key, fragment, results[key].message)


# --- correct formulas in other styles -------------------------------------------------------------

UNUSUAL = """
    import math
    import operator


    def conv_output_size(n, k, stride=1, padding=0, dilation=1):
        windows, _ = divmod(n + 2 * padding - dilation * (k - 1) - 1, stride)
        return 1 + windows


    def conv_transpose_output_size(n, k, stride=1, padding=0, output_padding=0, dilation=1):
        return stride * n - stride - padding - padding + dilation * k - dilation + output_padding + 1


    def pool_output_size(n, k, stride=None, padding=0, dilation=1, ceil_mode=False):
        s = k if stride is None else stride
        free = n + 2 * padding - (dilation * (k - 1) + 1)
        if ceil_mode:
            size = -(-free // s) + 1
            return size - ((size - 1) * s >= n + padding)
        return operator.floordiv(free + s, s)


    def conv_weight_shape(in_channels, out_channels, kernel_size, groups=1):
        sides = [kernel_size] * 2 if isinstance(kernel_size, int) else list(kernel_size)
        return [out_channels, in_channels // groups, *sides]


    def conv_param_count(in_channels, out_channels, kernel_size, groups=1, bias=True):
        return math.prod(conv_weight_shape(in_channels, out_channels, kernel_size, groups)) + bias * out_channels
"""


def test_correct_formulas_in_other_styles_pass(grade_source) -> None:
    results = grade_source(MODULE, UNUSUAL)
    assert set(results) == EVERY_CHECK
    assert failed(results) == set()


def test_a_correct_formula_sympy_cannot_prove_passes_with_a_warning(grade_source) -> None:
    ceiling_form = mutant(CONV, "    return -((span - n - 2 * padding - 1) // stride)\n")
    with pytest.warns(UnprovenFormula, match=r"agrees with torch on all \d{3,} small configurations"):
        results = grade_source(MODULE, ceiling_form)
    assert failed(results) == set()


@pytest.mark.parametrize("folder, builds_grid, status", [(EXERCISES, False, "failed"), (SOLUTIONS, True, "passed")],
                         ids=["stub", "model answer"])
def test_a_stub_ends_before_the_grid_is_built(folder, builds_grid: bool, status: str) -> None:
    """An exhaustive check calls the first pinned example alone first: the stub's "not
    implemented" ends the task there (torch would try every configuration of the grid for
    nothing); an answer is judged on the whole grid."""
    built = []
    exercise = registry.get(MODULE)
    task = exercise.task("conv_output_size")
    check = formulas.exhaustive("matches_torch", "every configuration", 2,
                                lambda: built.append(1) or ex04.conv_grid())
    result = Runner(InProcessTarget(folder), TEST_SETTINGS).run_check(exercise, task, check)
    assert result.status == status and bool(built) == builds_grid
    if not builds_grid:
        assert "not implemented yet" in result.message
