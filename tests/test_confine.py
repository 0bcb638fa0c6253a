"""grader/run/confine.py rule by rule: a forked process enters a sandbox, tries one thing, and reports
what happened through a pipe opened before it entered (the one channel it keeps)."""

from __future__ import annotations

import ctypes
import errno
import faulthandler
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from grader import cli
from grader.run import confine
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(bool(confine.probe().missing),
                                reason=f"the kernel lacks part of the confinement: {confine.probe().missing}")


def sandboxed(attempt: Callable[[], str], policy: confine.Policy) -> tuple[str, int]:
    """(what ``attempt`` returned or raised, in the sandbox; the sandbox's wait status as its
    caller sees it)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            confine.enter(policy)
            try:
                answer = attempt()
            except OSError as exc:
                answer = f"{type(exc).__name__}: {errno.errorcode.get(exc.errno, exc.errno)}"
            os.write(write, answer.encode())
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as answer:
        return answer.read().decode(), status


@pytest.fixture
def policy(tmp_path: Path) -> confine.Policy:
    (tmp_path / "mine.py").write_text("x = 1\n")
    return confine.worker_policy(tmp_path)


def test_the_policy_reads_the_runtime_and_the_own_folder_and_not_the_repository(policy, tmp_path) -> None:
    assert str(tmp_path) in policy.readable
    assert any(Path(p) == Path(os.__file__).parent for p in policy.readable)  # the standard library
    for path in policy.readable:
        assert not (ROOT / "solutions").is_relative_to(path), path
        assert not (ROOT / "tests").is_relative_to(path), path
    assert not any(Path(p).is_relative_to(ROOT / "grader") for p in policy.readable)


def test_own_files_and_the_runtime_are_readable(policy, tmp_path) -> None:
    assert sandboxed(lambda: (tmp_path / "mine.py").read_text(), policy)[0] == "x = 1\n"
    assert sandboxed(lambda: str(len(Path(os.__file__).read_text()) > 0), policy)[0] == "True"


@pytest.mark.parametrize("path", ["solutions/ex01_cross_correlation.py", "grader/run/sandbox.py", "README.md"])
def test_the_repository_is_not_readable(policy, path) -> None:
    assert sandboxed(lambda: (ROOT / path).read_text()[:10], policy)[0] == "PermissionError: EACCES"


def test_proc_is_not_readable(policy) -> None:
    judge = os.getpid()
    assert sandboxed(lambda: os.readlink(f"/proc/{judge}/cwd"), policy)[0] == "PermissionError: EACCES"
    assert sandboxed(lambda: open(f"/proc/{judge}/environ").read(), policy)[0] == "PermissionError: EACCES"


@pytest.mark.parametrize("name, attack", [
    ("write", lambda target: target.write_text("y")),
    ("unlink", lambda target: target.unlink()),
    ("truncate", lambda target: os.truncate(target, 0)),
    ("rename", lambda target: target.rename(target.with_name("moved.py"))),
    ("symlink", lambda target: target.with_name("link").symlink_to("/dev/null")),
    ("mkdir", lambda target: target.with_name("sub").mkdir()),
    ("chmod", lambda target: target.chmod(0)),
    ("utime", lambda target: os.utime(target, (0, 0))),
])
def test_nothing_can_be_written_even_in_the_own_folder(policy, tmp_path, name, attack) -> None:
    target = tmp_path / "mine.py"
    mode = target.stat().st_mode & 0o777
    answer, _ = sandboxed(lambda: str(attack(target)), policy)
    assert answer.startswith("PermissionError"), (name, answer)
    assert target.read_text() == "x = 1\n" and sorted(p.name for p in tmp_path.iterdir()) == ["mine.py"]
    assert target.stat().st_mode & 0o777 == mode


def test_no_socket_can_be_opened(policy) -> None:
    for family, kind in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET, socket.SOCK_DGRAM),
                         (socket.AF_UNIX, socket.SOCK_STREAM)):
        assert sandboxed(lambda: str(socket.socket(family, kind)), policy)[0] == "PermissionError: EPERM"


def test_nothing_is_executed(policy) -> None:
    assert sandboxed(lambda: str(os.execv(sys.executable, [sys.executable, "-c", "1"])), policy)[0] \
        == "PermissionError: EPERM"


def test_no_process_outside_can_be_signalled(policy) -> None:
    outside = os.fork()
    if outside == 0:
        time.sleep(30)
        os._exit(0)
    try:
        answer, _ = sandboxed(lambda: str(os.kill(outside, signal.SIGKILL)), policy)
        assert answer in ("ProcessLookupError: ESRCH", "PermissionError: EPERM")
        assert sandboxed(lambda: str(os.kill(-1, signal.SIGKILL)), policy)[0] in ("None", "ProcessLookupError: ESRCH")
        assert os.waitpid(outside, os.WNOHANG) == (0, 0), "the process outside was killed"
    finally:
        os.kill(outside, signal.SIGKILL)
        os.waitpid(outside, 0)


def test_the_environment_is_scrubbed(policy, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    answer, _ = sandboxed(lambda: f"{os.environ.get('GITHUB_TOKEN')} {os.environ.get('LC_ALL')}", policy)
    assert answer == "None C.UTF-8"


def segfault() -> str:
    faulthandler.disable()  # pytest's, inherited: no dump on stderr
    return str(ctypes.string_at(0))


def test_the_sandbox_ends_as_its_process_ended(policy) -> None:
    _, status = sandboxed(segfault, policy)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSEGV
    _, status = sandboxed(lambda: str(os._exit(3)), policy)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3


def test_nothing_started_inside_outlives_the_sandbox(policy) -> None:
    name = f"linger{os.getpid() % 100000}"  # the lingerer's /proc/PID/comm, to find it by
    read, write = os.pipe()
    sandbox = os.fork()
    if sandbox == 0:
        confine.enter(policy)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:  # a double fork: the lingerer is nobody's child
                ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
                os.write(write, b"started")
                time.sleep(60)
            os._exit(0)
        time.sleep(2)
        os._exit(0)
    os.close(write)
    assert os.read(read, 10) == b"started"
    assert len(processes_named(name)) == 1  # running while its sandbox runs
    os.waitpid(sandbox, 0)
    time.sleep(0.5)
    assert processes_named(name) == []


def processes_named(name: str) -> list[str]:
    """The live processes (visible from here) whose command name is ``name``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name and \
                    Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(pid)
        except OSError:
            pass
    return found


def test_probe_names_what_is_in_force() -> None:
    in_force = confine.probe()
    assert in_force.complete and in_force.filesystem == f"landlock-{confine.landlock_abi()}"
    assert in_force.processes == "pidns" and in_force.network.startswith("netns")
    assert set(in_force.record()) == {"filesystem", "network", "signals", "processes"}


@pytest.mark.skipif(os.geteuid() == 0, reason="the kernel exempts root from RLIMIT_NPROC")
def test_a_fork_bomb_stays_small(policy) -> None:
    def bomb() -> str:
        started = 0
        for _ in range(200):
            try:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                started += 1
            except BlockingIOError:
                break
        return str(started)

    started = int(sandboxed(bomb, policy)[0])
    assert 0 < started < policy.max_processes


def test_strict_refuses_and_on_warns_where_the_kernel_lacks_a_feature(monkeypatch, tmp_path, capsys) -> None:
    lacking = confine.InForce("none", "netns+seccomp", "pidns", "pidns",
                              missing=("filesystem: Landlock ABI 3 (Linux 6.2) or newer, found ABI 0",))
    monkeypatch.setattr(confine, "_PROBED", lacking)
    (tmp_path / "class" / "amy").mkdir(parents=True)
    (tmp_path / "class" / "amy" / "notes.py").write_text("x = 1\n")  # nothing to run: no worker starts
    out = tmp_path / "results.json"
    grade = ["grade", str(tmp_path / "class"), "--out", str(out), "--lang", "en"]
    assert cli.main([*grade, "--confinement", "strict"]) == 2
    assert "--confinement strict: this kernel lacks filesystem: Landlock ABI 3 (Linux 6.2)" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(grade) == 0
    err = capsys.readouterr().err
    assert err.count("warning: confinement incomplete") == 1 and "Landlock ABI 3 (Linux 6.2)" in err
    assert json.loads(out.read_text())["confinement"]["filesystem"] == "none"
    assert cli.main([*grade, "--confinement", "off"]) == 0
    assert "warning: --confinement off" in capsys.readouterr().err
    assert set(json.loads(out.read_text())["confinement"].values()) == {"off"}
