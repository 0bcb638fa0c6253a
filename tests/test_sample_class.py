"""The bundled sample class is what examples/make_class.py writes from the current model
answers (so the README's main job grades today's solutions), and it holds the cases it
promises."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import ROOT

CLASS = ROOT / "examples" / "class"


def make_class():
    spec = importlib.util.spec_from_file_location("make_class", ROOT / "examples" / "make_class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.generated
def test_committed_class_is_what_the_generator_writes(tmp_path: Path) -> None:
    make_class().write(tmp_path / "class")
    assert tree(tmp_path / "class") == tree(CLASS), "run: python examples/make_class.py"


def test_class_has_a_dozen_submissions_of_every_promised_kind() -> None:
    names = {p.stem for p in CLASS.iterdir()}
    assert len(names) >= 12
    for kind in ("complete", "partial", "half_exercises", "hangs", "crashes", "calls_conv2d", "notebook", "syntax_error"):
        assert any(kind in name for name in names), kind
    complete = {p.name for p in (CLASS / "ada_complete").iterdir()}
    assert complete == {p.name for p in (ROOT / "solutions").glob("ex[0-9][0-9]_*.py")}
