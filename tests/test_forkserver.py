"""One forkserver per run: a judge forks its workers from the run's forkserver, the one the
judge itself came from; a worker finds the grader's modules it takes out of ``sys.modules`` as
the server noted them; and ``convgrade grade`` imports no other command."""

from __future__ import annotations

import concurrent.futures
import multiprocessing.forkserver
import subprocess
import sys
import types
from pathlib import Path

from grader.run import forkserver, sandbox
from grader.batch import start_judge
from grader.run.limits import Limits
from grader.run.sandbox import WorkerTarget
from tests.conftest import ROOT


def parent_of(pid: int) -> int:
    """The parent of process ``pid`` (as this machine's /proc sees it)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


def workers_parent() -> tuple[int, bool]:
    """In a judge: the parent of the worker it starts, and whether it started a server of its own."""
    with WorkerTarget({"m.py": "def f():\n    return 1\n"}, Limits()) as target:
        assert target.presence("m", "f") is None
        parent = parent_of(target._process.pid)
    return parent, multiprocessing.forkserver._forkserver._forkserver_pid is not None


def test_judges_fork_their_workers_from_the_runs_forkserver() -> None:
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=forkserver.context(), initializer=start_judge) as pool:
        answers = [pool.submit(workers_parent).result() for _ in range(2)]
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    assert server is not None
    assert answers == [(server, False)] * 2


def test_sharing_changes_nothing_outside_a_forkserver_child() -> None:
    assert forkserver.share_parent() is False


def test_grade_imports_only_its_own_command() -> None:
    code = ("import sys; from grader import cli; cli.build_parser(('grade',)); "
            "print(sorted(m for m in sys.modules if m.startswith('grader.commands.')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['grader.commands.grade']"


def test_a_worker_holds_no_grader_module_by_name() -> None:
    code = "import sys\n\ndef f():\n    return sorted(m for m in sys.modules if m.partition('.')[0] in ('grader', 'convgrade_conv1d'))\n"
    with WorkerTarget({"m.py": code}, Limits()) as target:
        assert target.call("m", "f", (), {}, forbidden=None).value == []


def test_the_noted_names_are_used_only_while_sys_modules_is_as_noted() -> None:
    packages = ("grader", *sandbox.pack_packages())
    scanned = sandbox.trusted_module_names(packages)
    saved = sandbox._NOTED
    try:
        sandbox.note_trusted_modules(next(reversed(sys.modules)))
        sandbox._NOTED = (*sandbox._NOTED[:2], ("grader.noted_only",))
        assert sandbox.trusted_module_names(packages) == ["grader.noted_only"]
        sys.modules["grader.added_since_noted"] = types.ModuleType("grader.added_since_noted")
        assert sandbox.trusted_module_names(packages) == [*scanned, "grader.added_since_noted"]
    finally:
        sys.modules.pop("grader.added_since_noted", None)
        sandbox._NOTED = saved
