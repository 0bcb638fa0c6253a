"""A submission's modules in the process that runs them: in-process (pytest, the floor) they are
importable only during a call, and what the call imported from the submission is taken out
again; in a grading worker (``resident``) they stay, as nothing else runs there."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Iterator

import pytest

from grader.run.target import Submission, added_modules

MAIN = "def answer():\n    import helper_for_target_test as h\n    return h.VALUE\n"
MOVES_ITSELF = ("import sys\n\ndef answer():\n    import helper_for_target_test as h\n"
                "    sys.modules[__name__] = sys.modules.pop(__name__)  # now after the helper\n    return h.VALUE\n")


@pytest.fixture
def clean_modules() -> Iterator[None]:
    """Whatever a test leaves in ``sys.modules`` and ``sys.path`` is removed afterwards."""
    names, path = set(sys.modules), list(sys.path)
    yield
    for name in set(sys.modules) - names:
        del sys.modules[name]
    sys.path[:] = path


def submission_folder(folder: Path, main: str, value: int) -> Path:
    folder.mkdir()
    (folder / "main_for_target_test.py").write_text(main)
    (folder / "helper_for_target_test.py").write_text(f"VALUE = {value}\n")
    return folder


def answer(submission: Submission) -> int:
    module = submission.load("main_for_target_test")
    with submission.installed():
        return module.answer()


def test_a_lazy_import_works_during_a_call_and_is_taken_out_after(tmp_path: Path, clean_modules: None) -> None:
    first = Submission(submission_folder(tmp_path / "a", MAIN, 1))
    second = Submission(submission_folder(tmp_path / "b", MAIN, 2))
    assert answer(first) == 1
    assert "helper_for_target_test" not in sys.modules and "main_for_target_test" not in sys.modules
    assert answer(second) == 2, "each submission imports its own helper"
    assert answer(first) == 1, "and keeps it"
    assert str(first.root) not in sys.path


def test_an_import_is_taken_out_when_the_call_also_moved_a_module(tmp_path: Path, clean_modules: None) -> None:
    submission = Submission(submission_folder(tmp_path / "a", MOVES_ITSELF, 3))
    assert answer(submission) == 3
    assert "helper_for_target_test" not in sys.modules


def test_a_resident_submission_stays_installed(tmp_path: Path, clean_modules: None) -> None:
    submission = Submission(submission_folder(tmp_path / "a", MAIN, 4), resident=True)
    assert answer(submission) == 4
    assert sys.modules["helper_for_target_test"].VALUE == 4
    assert submission.load("main_for_target_test") is sys.modules["main_for_target_test"], "loaded once"
    assert answer(submission) == 4


def test_added_modules_reads_the_names_added_from_the_end(clean_modules: None) -> None:
    count, last = len(sys.modules), next(reversed(sys.modules))
    sys.modules["added_one_for_target_test"] = types.ModuleType("a")
    sys.modules["added_two_for_target_test"] = types.ModuleType("b")
    assert sorted(added_modules(count, last)) == ["added_one_for_target_test", "added_two_for_target_test"]
    removed = sys.modules.pop(last)  # a name removed meanwhile: every name is compared
    try:
        assert added_modules(count, last) == list(sys.modules)
    finally:
        sys.modules[last] = removed
