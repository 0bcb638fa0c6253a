"""Meta-tests over the whole registry: the records are sound, every model answer passes every
check, every stub fails every check at once, and the stubs are generated from the solutions."""

from __future__ import annotations

import pytest

from grader import stubs
from grader.engine import registry
from tests.conftest import EXERCISES, SOLUTIONS, grade_folder

EXERCISES_IN_REGISTRY = [e.module for e in registry.all_exercises()]


@pytest.mark.parametrize("module", EXERCISES_IN_REGISTRY)
def test_solution_passes_every_check(module: str) -> None:
    results = grade_folder(SOLUTIONS, module)
    failures = {k: r.message for k, r in results.items() if not r.passed or r.failure is not None}
    assert not failures, failures
    assert sum(r.points for r in results.values()) == registry.get(module).max_points


@pytest.mark.parametrize("module", EXERCISES_IN_REGISTRY)
def test_stub_fails_every_check_as_not_implemented(module: str) -> None:
    results = grade_folder(EXERCISES, module)
    assert results and all(not r.passed for r in results.values())
    for key, r in results.items():
        assert r.points == 0
        assert "not implemented yet" in r.message, (key, r.message)


@pytest.mark.generated
def test_stubs_are_generated_from_the_solutions() -> None:
    assert stubs.drifted() == []


def test_stub_generation_replaces_each_answer() -> None:
    source = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    stub = stubs.make_stub(source)
    assert "return x" not in stub and "'''doc'''" in stub
    assert '    raise NotImplementedError("not implemented yet")' in stub
    with pytest.raises(ValueError):
        stubs.make_stub("    ### BEGIN SOLUTION\n    x = 1\n")


def test_every_exercise_has_points_and_a_marker() -> None:
    for exercise in registry.all_exercises():
        assert exercise.max_points > 0
        assert exercise.marker == exercise.module[:4]
