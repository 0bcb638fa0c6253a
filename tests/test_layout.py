"""The grader's folder tree shows its layers (grader/engine, grader/run, grader/outputs, the
front-ends beside them), and the engine's records import nothing that imports them back."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import ROOT

GRADER = ROOT / "grader"
LAYERS = ("engine", "run", "outputs")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def grader_imports(path: Path, modules: set[str]) -> set[str]:
    """The grader modules ``path`` imports, anywhere in it (``TYPE_CHECKING`` blocks and
    function bodies included: a cycle through them is still a cycle for a reader)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("grader"):
            found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                      for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("grader")}
    return found & modules


def import_graph(folders: tuple[str, ...]) -> dict[str, set[str]]:
    paths = {module_name(p): p for folder in folders for p in (GRADER / folder).rglob("*.py")}
    return {name: grader_imports(path, set(paths)) - {name} for name, path in paths.items()}


def test_each_layer_is_a_package_of_its_own() -> None:
    for layer in LAYERS:
        assert (GRADER / layer / "__init__.py").is_file()
    assert not (GRADER / "judge.py").exists() and (GRADER / "engine" / "judge.py").is_file()
    assert (GRADER / "run" / "sandbox.py").is_file() and (GRADER / "outputs" / "feedback.py").is_file()


def test_engine_run_and_outputs_have_no_import_cycle() -> None:
    graph = import_graph(LAYERS)
    assert "grader.engine.exercise" in graph and "grader.engine.context" in graph
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        pytest.fail(f"import cycle: {' -> '.join(cycle.args[1])}")


def test_the_check_finds_a_cycle() -> None:
    """The check itself: a records module that imports the context back is a cycle."""
    graph = import_graph(LAYERS)
    graph["grader.engine.exercise"] = graph["grader.engine.exercise"] | {"grader.engine.context"}
    with pytest.raises(CycleError):
        tuple(TopologicalSorter(graph).static_order())
