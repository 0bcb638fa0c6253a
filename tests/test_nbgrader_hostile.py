"""The confined kernel ``nbgrader autograde`` runs notebooks in, tested directly and under attack.

The launcher (:mod:`grader.notebook.sandboxed_kernel`) is started by jupyter_client on a course's
kernelspec: a cell may read the student's folder and import torch, not the course's ``source/``;
an interrupt stops a cell and leaves the kernel usable; shutdown, or a SIGKILL of the launcher,
leaves no process of the kernel behind.

Then ``nbgrader autograde`` grades a class of ex01 notebooks: two honest students (the model
answer, a classic bug) and hostile ones, one attack each (read the solutions, kill the kernel's
ancestors and every process it can, tamper with classmates' notebooks: content, name, mode, times,
attributes; use the network, leave a process behind, forge the gradebook). That run happens inside
a PID namespace of its own (``unshare --pid --fork --mount-proc``: a regression that let
``kill(-1)`` out would kill only that run, never the CI runner). Every student is graded; the
honest students get exactly the grades of a run without the hostile notebooks; no file of the
course changed but what autograde writes itself; nothing the attacks tried to write is anywhere; no
process of the run is left. Tests that run nbgrader are marked ``slow`` (about three minutes in
all on two cores).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Iterator

import nbformat
import psutil
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import NoSuchKernel
from nbformat import NotebookNode
from nbgrader.api import Gradebook
from traitlets.config import PyFileConfigLoader

from grader.engine import registry
from grader.notebook import kernelspec
from grader.notebook.autograde import DeferredExecute
from grader.run import confine
from tests.conftest import fingerprint, own_pid_namespace
from tests.test_nbgrader import (
    BIN,
    EX01,
    cell_verdicts,
    convgrade,
    nbgrader,
    notebook,
    replace_answer,
    with_answers,
    with_cells_after_imports,
)

pytestmark = pytest.mark.skipif(not confine.probe().complete,
                                reason="this kernel cannot confine (see grader.run.confine.probe)")

AUTOGRADE_WRITES = ("autograded", "gradebook.db", ".nbgrader.log", ".hypothesis")
"""What ``nbgrader autograde`` itself writes in the course folder (the gradebook is checked by
its contents instead)."""


def processes_naming(text: str) -> list[psutil.Process]:
    """Live processes whose command line contains ``text``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if process.status() != psutil.STATUS_ZOMBIE and text in " ".join(process.info["cmdline"] or ()):
                found.append(process)
        except psutil.Error:
            pass
    return found


def left_behind(text: str, grace: float = 5.0) -> list[psutil.Process]:
    """Processes naming ``text`` still alive after ``grace`` seconds (a sandbox's end is asynchronous)."""
    deadline = time.monotonic() + grace
    while (found := processes_naming(text)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


# --- the course's kernel: what autograde starts ------------------------------------------------


def test_autograde_starts_only_the_courses_confined_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    course = tmp_path / "course"
    assert convgrade("nbgrader", str(course), "--exercise", EX01) == 0
    assert set(kernelspec.spec_manager(course).find_kernel_specs()) == {kernelspec.KERNEL_NAME}  # no python3
    config = PyFileConfigLoader("nbgrader_config.py", str(course)).load_config()
    monkeypatch.chdir(course)  # nbgrader's CourseDirectory.root
    executor = DeferredExecute(config=config)
    executor.nb = notebook(course, "source")
    assert executor.nb.metadata.kernelspec.name == "python3"  # what the notebook asks for is not what runs
    spec = executor.create_kernel_manager().kernel_spec
    assert spec.argv[:4] == [sys.executable, "-I", "-m", "grader.notebook.sandboxed_kernel"]
    assert spec.interrupt_mode == "message"
    shutil.rmtree(course / "kernels")
    with pytest.raises(NoSuchKernel):  # never an unconfined kernel instead
        DeferredExecute(config=config).create_kernel_manager().kernel_spec


# --- the launcher, started by jupyter_client on the course's kernelspec --------------------------


class Kernel:
    """A kernel on a course's kernelspec, its cells run one at a time."""

    def __init__(self, course: Path, cwd: Path, env: dict[str, str] | None = None):
        self.manager = KernelManager(kernel_name=kernelspec.KERNEL_NAME,
                                     kernel_spec_manager=kernelspec.spec_manager(course))
        self.manager.start_kernel(cwd=str(cwd), env={**os.environ, **(env or {})})
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 120) -> tuple[str, str, str]:
        """The cell's status (``ok`` or ``error``), its stdout and its error's name."""
        out: list[str] = []
        error: list[str] = []

        def hook(message: dict) -> None:
            if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
                out.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                error.append(message["content"]["ename"])

        reply = self.client.execute_interactive(textwrap.dedent(code), timeout=timeout, output_hook=hook)
        return reply["content"]["status"], "".join(out), "".join(error)

    def close(self) -> None:
        self.client.stop_channels()
        if self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)


@pytest.fixture
def small_course(tmp_path: Path) -> Path:
    """A course holding the confined kernel's kernelspec, a secret in ``source/`` and a
    student's folder with a data file."""
    course = tmp_path / "course"
    kernelspec.write_kernelspec(course)
    (course / "source").mkdir()
    (course / "source" / "answers.py").write_text("SECRET = 42\n")
    student = course / "autograded" / "ada" / EX01
    student.mkdir(parents=True)
    (student / "data.txt").write_text("mine\n")
    return course


@pytest.fixture
def kernel(small_course: Path) -> Iterator[Kernel]:
    started = Kernel(small_course, small_course / "autograded" / "ada" / EX01,
                     env={"CONVGRADE_VERDICTS": "outside", "CONVGRADE_TEST_TOKEN": "do-not-leak"})
    yield started
    started.close()


def test_the_kernel_reads_its_folder_and_runs_torch_but_not_the_course(kernel: Kernel, small_course: Path):
    assert kernel.run("print(open('data.txt').read())") == ("ok", "mine\n\n", "")
    status, _, error = kernel.run(f"open({str(small_course / 'source' / 'answers.py')!r}).read()")
    assert (status, error) == ("error", "PermissionError")
    status, _, error = kernel.run(f"import os; os.listdir({str(small_course)!r})")
    assert (status, error) == ("error", "PermissionError")
    status, _, error = kernel.run("open('new.txt', 'w')")
    assert (status, error) == ("error", "PermissionError")
    assert not (small_course / "autograded" / "ada" / EX01 / "new.txt").exists()
    status, out, _ = kernel.run("""
        import torch
        X = torch.arange(9.0).reshape(1, 1, 3, 3)
        print(torch.nn.functional.conv2d(X, torch.ones(1, 1, 2, 2)).flatten().tolist())
    """)
    assert (status, out) == ("ok", "[8.0, 12.0, 20.0, 24.0]\n")


def test_the_kernel_changes_no_files_mode_times_or_attributes(kernel: Kernel, small_course: Path):
    secret = small_course / "source" / "answers.py"
    before = fingerprint(secret)
    for call in ("os.chmod(path, 0o777)", "os.utime(path, (0, 0))", "os.setxattr(path, 'user.pwned', b'1')"):
        status, _, error = kernel.run(f"import os; path = {str(secret)!r}; {call}")
        assert (status, error) == ("error", "PermissionError"), call
    assert fingerprint(secret) == before


def test_the_kernel_keeps_what_autograde_sets_and_nothing_else(kernel: Kernel):
    status, out, _ = kernel.run("import os; print(os.environ.get('CONVGRADE_VERDICTS'), "
                                "os.environ.get('CONVGRADE_TEST_TOKEN'))")
    assert (status, out) == ("ok", "outside None\n")
    # the armed cell under autograde: the kernel-side grader was loaded before confinement
    status, out, _ = kernel.run(f"from grader.notebook.kernel import arm\nprint(type(arm({EX01!r}, seed=1)).__name__)")
    assert (status, out) == ("ok", "Deferred\n")
    status, _, error = kernel.run("import grader.run.sandbox")  # the rest of the grader is unreadable
    assert (status, error) == ("error", "PermissionError")


def test_the_kernel_connects_nowhere_and_binds_only_its_ports(kernel: Kernel):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        status, _, error = kernel.run(f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)")
        assert (status, error) == ("error", "PermissionError")
        listener.settimeout(0.5)
        with pytest.raises(TimeoutError):
            listener.accept()
    for code in ("import socket; socket.socket().bind(('127.0.0.1', 0))",
                 "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                 "import socket; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)"):
        status, _, error = kernel.run(code)
        assert (status, error) == ("error", "PermissionError"), code


def test_an_interrupt_stops_a_cell_and_the_kernel_goes_on(kernel: Kernel):
    # stop_on_error=False: otherwise ipykernel aborts the requests that reach it shortly after
    # the interrupted one's error (a window that a loaded machine can stretch over the next cell)
    sent = kernel.client.execute("import time; time.sleep(60)", stop_on_error=False)
    time.sleep(2)
    start = time.monotonic()
    kernel.manager.interrupt_kernel()
    reply = kernel.client.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != sent:  # replies to earlier requests (kernel_info)
        reply = kernel.client.get_shell_msg(timeout=30)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    assert time.monotonic() - start < 10
    assert kernel.run("print(6 * 7)") == ("ok", "42\n", "")


def test_the_kernel_refuses_to_start_in_the_course_folder(small_course: Path):
    with pytest.raises(RuntimeError, match="died"):
        Kernel(small_course, small_course)
    assert left_behind(str(small_course)) == []


LINGER = """
    import os, time
    if os.fork() == 0:
        os.setsid()
        time.sleep(60)
        os._exit(0)
    print("forked")
"""
"""A cell that leaves a process of its own session behind, sleeping."""


def test_shutdown_leaves_no_process_behind(kernel: Kernel, small_course: Path):
    assert kernel.run(LINGER)[:2] == ("ok", "forked\n")
    assert len(processes_naming(str(small_course))) >= 2  # the launcher, the sandbox's init, the kernel, the child
    kernel.manager.shutdown_kernel()
    assert left_behind(str(small_course)) == []


def test_a_sigkill_of_the_launcher_ends_the_whole_sandbox(kernel: Kernel, small_course: Path):
    assert kernel.run(LINGER)[:2] == ("ok", "forked\n")
    os.kill(kernel.manager.provisioner.process.pid, signal.SIGKILL)
    assert left_behind(str(small_course)) == []


# --- nbgrader autograde of a class with hostile students ------------------------------------------

ATTEMPT = '''
def attempt(label, action):
    """Print whether an attack went through; the test reads the outputs."""
    try:
        result = action()
    except BaseException as exc:
        print(f"BLOCKED {label}: {type(exc).__name__}")
    else:
        print(f"DONE {label}: {str(result)[:80]!r}")
'''
"""The helper each hostile cell starts with."""

HOSTILE = {
    "h_reads_solutions": '''
        import os, pathlib, grader
        course = pathlib.Path.cwd().parents[2]
        repo = pathlib.Path(grader.__file__).resolve().parent.parent
        attempt("source", lambda: (course / "source" / "{ex}" / "{ex}.ipynb").read_text())
        attempt("list-source", lambda: os.listdir(course / "source"))
        attempt("solutions", lambda: (repo / "solutions" / "{ex}.py").read_text())
        attempt("proc-cwd", lambda: os.listdir(f"/proc/{{os.getppid()}}/cwd"))
        attempt("gradebook-read", lambda: (course / "gradebook.db").read_bytes())
    ''',
    "h_kills_ancestors": '''
        import os, signal
        attempt("grandparent", lambda: int(open(f"/proc/{{os.getppid()}}/status").read().split("PPid:")[1].split()[0]))
        attempt("canary", lambda: os.kill({canary}, signal.SIGKILL))
        for target in (os.getppid(), -1):  # the kernel's parent; every process it may signal
            try:
                os.kill(target, signal.SIGKILL)
            except OSError as exc:
                print(f"kill({{target}}): {{type(exc).__name__}}")
        print("SURVIVED kills")
    ''',
    "h_tampers_classmates": '''
        import os, pathlib
        course = pathlib.Path.cwd().parents[2]
        victim = course / "submitted" / "eve_model" / "{ex}" / "{ex}.ipynb"
        attempt("unlink", lambda: os.unlink(victim))
        attempt("truncate", lambda: os.truncate(victim, 0))
        attempt("open-write", lambda: open(victim, "r+").write("{{}}"))
        attempt("rename", lambda: os.rename(victim, str(victim) + ".bak"))
        attempt("symlink", lambda: os.symlink(victim, "pwned-link"))
        attempt("hardlink", lambda: os.link(victim, "pwned-hardlink"))
        attempt("chmod", lambda: os.chmod(victim, 0o000))
        attempt("utime", lambda: os.utime(victim, (0, 0)))
        attempt("xattr", lambda: os.setxattr(victim, "user.pwned", b"1"))
        attempt("own-folder", lambda: open("pwned.txt", "w").write("x"))
        attempt("tmp", lambda: open("/tmp/pwned-{marker}", "w").write("x"))
    ''',
    "h_uses_the_network": '''
        import socket
        attempt("connect", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5))
        attempt("bind", lambda: socket.socket().bind(("127.0.0.1", 0)))
        attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    ''',
    "h_lingers": '''
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        print("SURVIVED fork")
    ''',
    "h_forges_the_gradebook": '''
        import pathlib, sqlite3
        db = pathlib.Path.cwd().parents[2] / "gradebook.db"
        attempt("overwrite", lambda: db.write_bytes(b"pwned"))
        attempt("sqlite", lambda: sqlite3.connect(db).execute("UPDATE grade SET manual_score = 999"))
    ''',
}
"""One attack per hostile student: placeholders ``{ex}``, ``{canary}`` (a pid outside the run),
``{port}`` (the test's listener), ``{marker}`` (unique to the run)."""

EXPECTED_BLOCKED = {
    "h_reads_solutions": dict.fromkeys(["source", "list-source", "solutions", "proc-cwd", "gradebook-read"],
                                       "PermissionError"),
    "h_kills_ancestors": {"grandparent": "PermissionError", "canary": "ProcessLookupError"},
    "h_tampers_classmates": dict.fromkeys(["unlink", "truncate", "open-write", "rename", "symlink", "hardlink",
                                           "chmod", "utime", "xattr", "own-folder", "tmp"], "PermissionError"),
    "h_uses_the_network": dict.fromkeys(["connect", "bind", "udp"], "PermissionError"),
    "h_lingers": {},
    "h_forges_the_gradebook": {"overwrite": "PermissionError", "sqlite": "OperationalError"},
}
"""Each attack's attempts, and the error each must end with."""

SURVIVED = {"h_kills_ancestors": "SURVIVED kills", "h_lingers": "SURVIVED fork"}


def honest_class(released: Path) -> dict[str, NotebookNode]:
    answers = with_answers(released)
    return {"eve_model": answers, "bob_bug": replace_answer(answers, "true_conv2d", "K.flip(0, 1)", "K")}


def released_ex01(root: Path) -> Path:
    assert convgrade("nbgrader", str(root), "--exercise", EX01) == 0
    nbgrader(root, "generate_assignment", EX01, "--create")
    return root


def submit(course: Path, submissions: dict[str, NotebookNode]) -> None:
    for student, nb in submissions.items():
        folder = course / "submitted" / student / EX01
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{EX01}.ipynb")


def checksums(course: Path) -> dict[str, tuple]:
    """The :func:`tests.conftest.fingerprint` of every file under the course but what autograde writes, by
    relative path."""
    return {str(path.relative_to(course)): fingerprint(path)
            for path in sorted(course.rglob("*")) if path.is_file() and not path.is_symlink()
            and path.relative_to(course).parts[0] not in AUTOGRADE_WRITES}


def grades(course: Path) -> dict[str, dict[str, tuple[float, float | None]]]:
    """Each student's (auto score, manual score) by grade cell, read from the gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {student.id: {grade.name: (grade.auto_score, grade.manual_score)
                             for grade in gradebook.find_submission_notebook(EX01, EX01, student.id).grades}
                for student in gradebook.students}


def autograde_in_own_pid_namespace(course: Path) -> subprocess.CompletedProcess:
    """``nbgrader autograde`` in a PID namespace of its own (:func:`tests.conftest.own_pid_namespace`):
    ``kill(-1)`` in it cannot reach the test."""
    isolate = own_pid_namespace()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([*isolate, str(BIN / "nbgrader"), "autograde", EX01, "--create"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The honest students' grades from a class without hostile notebooks."""
    course = released_ex01(tmp_path_factory.mktemp("honest"))
    submit(course, honest_class(course))
    nbgrader(course, "autograde", EX01, "--create")
    return grades(course)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Autograde of the honest students and the hostile ones, with what the test observed."""
    own_pid_namespace()  # skips where it cannot be had
    course = released_ex01(tmp_path_factory.mktemp("attacked"))
    stubs = notebook(course, "release")
    marker = f"{os.getpid()}-{time.monotonic_ns()}"
    canary = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with socket.create_server(("127.0.0.1", 0)) as listener:
        values = {"ex": EX01, "canary": canary.pid, "port": listener.getsockname()[1], "marker": marker}
        hostile = {student: with_cells_after_imports(stubs, ATTEMPT + textwrap.dedent(code).format(**values),
                                                     "print('KERNEL ALIVE')")
                   for student, code in HOSTILE.items()}
        submit(course, {**honest_class(course), **hostile})
        before = checksums(course)
        start = time.perf_counter()
        done = autograde_in_own_pid_namespace(course)
        seconds = time.perf_counter() - start
        listener.settimeout(0.5)
        try:
            listener.accept()
            connected = True
        except TimeoutError:
            connected = False
    print(f"\nnbgrader autograde of {2 + len(HOSTILE)} ex01 notebooks ({len(HOSTILE)} hostile) in {seconds:.1f} s")
    try:
        return {"course": course, "done": done, "before": before, "after": checksums(course), "marker": marker,
                "connected": connected, "canary_alive": canary.poll() is None,
                "left": [p.info["cmdline"] for p in left_behind(str(course))],
                "outputs": {student: outputs(course, student) for student in HOSTILE}}
    finally:
        canary.kill()
        canary.wait()


def outputs(course: Path, student: str) -> str:
    """The stdout of every cell of a student's autograded notebook."""
    nb = notebook(course, f"autograded/{student}")
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.output_type == "stream")


@pytest.mark.slow
def test_autograde_completes_for_every_student(attacked: dict):
    assert attacked["done"].returncode == 0, attacked["done"].stdout + attacked["done"].stderr
    graded = grades(attacked["course"])
    checks = sum(len(t.checks) for t in registry.get(EX01).tasks)
    assert set(graded) == {"eve_model", "bob_bug", *HOSTILE}
    for student, cells in graded.items():
        assert len(cells) == checks, student
        verdicts = cell_verdicts(notebook(attacked["course"], f"autograded/{student}"))
        assert len(verdicts) == checks, student
    for student in HOSTILE:
        assert "KERNEL ALIVE" in attacked["outputs"][student], student


@pytest.mark.slow
def test_the_honest_students_get_the_grades_of_a_class_without_attackers(attacked: dict, baseline: dict):
    graded = grades(attacked["course"])
    for student in ("eve_model", "bob_bug"):
        assert graded[student] == baseline[student], student
    assert 0 < sum(score for score, _ in baseline["bob_bug"].values()) < \
        sum(score for score, _ in baseline["eve_model"].values()) == registry.get(EX01).max_points


@pytest.mark.slow
def test_every_attack_is_refused(attacked: dict):
    for student, blocked in EXPECTED_BLOCKED.items():
        out = attacked["outputs"][student]
        assert "DONE" not in out, (student, out)
        refused = dict(line.split()[1:3] for line in out.splitlines() if line.startswith("BLOCKED"))
        assert {label.rstrip(":"): error for label, error in refused.items()} == blocked, (student, out)
        if student in SURVIVED:
            assert SURVIVED[student] in out, (student, out)
    assert attacked["canary_alive"], "a process outside the run was killed"
    assert not attacked["connected"], "a notebook connected to the test's listener"


@pytest.mark.slow
def test_no_file_of_the_course_changed_and_nothing_was_written(attacked: dict):
    assert attacked["after"] == attacked["before"]
    course: Path = attacked["course"]
    assert not list(course.rglob("pwned*")) and not Path(f"/tmp/pwned-{attacked['marker']}").exists()
    forged = {(student, cell): scores for student, cells in grades(course).items() for cell, scores in cells.items()
              if scores[1] is not None}
    assert forged == {}  # no manual score: the sqlite attack wrote nothing
    for student in HOSTILE:  # the stubs they attacked with score nothing, and nothing was forged
        assert sum(score for score, _ in grades(course)[student].values()) == 0, student


@pytest.mark.slow
def test_no_process_of_the_run_is_left(attacked: dict):
    assert attacked["left"] == []
