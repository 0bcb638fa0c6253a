"""The confined Jupyter kernel ``nbgrader autograde`` runs student notebooks in:
``python -I -m grader.notebook.sandboxed_kernel --config-folder FOLDER -f CONNECTION_FILE``
(``-I``: the working directory, the student's folder, is not on the path of this process, which
runs unconfined until step 3).

It is ipykernel, started in this process after :func:`grader.run.confine.enter` (Landlock restricts
only the calling thread and the threads it starts later, so confinement comes before ipykernel
starts any). In order:

1. read the connection file: the kernel must use TCP on the loopback interface, and its five
   ports are the only ones it may bind (it connects nowhere: nbgrader's client connects to it);
2. import, before confining, what the armed cell and the deferred test cells use in the kernel
   (:mod:`grader.notebook.kernel` and the message catalogs), so no file of the grader has to be
   readable in the kernel;
3. enter the confinement of :func:`kernel_policy`: read only the Python runtime, the system's
   shared libraries, the connection file and the notebook's own folder (the kernel's working
   directory); write, execute and connect nothing; no socket but TCP; its own PID, user and IPC
   namespaces, so ``kill(-1)``, ``setsid`` and forks end with the kernel; the host's network
   namespace, where nbgrader connects to the kernel's ports on the loopback interface;
4. give back the variables the kernel needs that confinement removed (:data:`PASSED_VARIABLES`:
   ``CONVGRADE_VERDICTS``, which the autograde step sets), point IPython's and matplotlib's
   configuration folders and its temporary folder at a read-only one made beforehand
   (:func:`prepare_config_folder`, in the kernelspec's folder), and run ipykernel
   with its history off (:data:`KERNEL_OPTIONS`).

Interrupts arrive as messages (the kernelspec's ``interrupt_mode``, see
:mod:`grader.notebook.kernelspec`): ipykernel signals itself, inside the sandbox. Shutdown is a
message too; a SIGTERM to this process (or its process group) reaches the kernel through the
sandbox's init, and a SIGKILL of this process ends every process in the sandbox. This process
also dies with the one that started it (nbgrader), as ipykernel's parent poller would have it
(which cannot work in a PID namespace, where the kernel's parent is the namespace's init).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from grader.i18n import LANGUAGES, _, translations
from grader.notebook.kernel import DEFER_VARIABLE
from grader.run import confine

PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
"""The connection file's ports, each bound by the kernel."""

LOOPBACK = ("127.0.0.1", "localhost", "::1")

PASSED_VARIABLES = (DEFER_VARIABLE,)
"""Variables the kernel keeps besides :data:`grader.run.confine.KEPT_VARIABLES`."""

KERNEL_OPTIONS = ("--HistoryManager.enabled=False", "--IPKernelApp.parent_handle=1")
"""ipykernel options: no history database (nothing may be written); the parent is init, pid 1
(true in the PID namespace: no parent poller, which would see its parent gone at once; this
process dies with nbgrader instead)."""

UNAVAILABLE_MODULES = ("psutil",)
"""Modules the kernel cannot use (psutil reads ``/proc``): without it ipykernel does not list its
children at shutdown (the sandbox ends them all) and logs no PermissionError."""

CONFIG_VARIABLES = ("IPYTHONDIR", "MPLCONFIGDIR", "TMPDIR")
"""IPython's and matplotlib's configuration folders and the temporary folder, all pointed at the
kernel's (:func:`prepare_config_folder`), read-only."""

PARENT_VARIABLE = "JPY_PARENT_PID"
"""The pid of the process that started the kernel (jupyter_client sets it)."""

PROFILE_FOLDERS = {"security": 0o700, "log": 0o755, "pid": 0o700, "startup": 0o755}
"""The folders of an IPython profile, with the modes IPython gives them."""


class UnusableConnection(ValueError):
    """A connection file this kernel cannot use confined."""


class UnusableFolder(ValueError):
    """A working directory the kernel must not be able to read."""


def connection_ports(connection_file: str | Path) -> tuple[int, ...]:
    """The five TCP ports of a Jupyter connection file; raise :class:`UnusableConnection` when it
    asks for another transport (IPC sockets would need files made) or a non-loopback address."""
    info = json.loads(Path(connection_file).read_text(encoding="utf-8"))
    if info.get("transport", "tcp") != "tcp" or info.get("ip") not in LOOPBACK:
        raise UnusableConnection(_("the sandboxed kernel listens only on TCP on the loopback interface; "
                                 "{file} asks for {transport} on {ip}").format(
            file=connection_file, transport=info.get("transport"), ip=info.get("ip")))
    ports = tuple(int(info.get(name) or 0) for name in PORTS)
    if not all(ports):
        raise UnusableConnection(_("the sandboxed kernel needs its five ports in {file}").format(file=connection_file))
    return ports


def prepare_config_folder(folder: Path) -> Path:
    """Make ``folder`` an IPython directory whose default profile IPython need not create or
    change (it cannot once confined): ``profile_default/`` with its four folders and their modes.
    Returns ``folder``."""
    profile = folder / "profile_default"
    for name, mode in PROFILE_FOLDERS.items():
        (profile / name).mkdir(parents=True, exist_ok=True)
        os.chmod(profile / name, mode)
    return folder


def student_folder(workdir: Path, config: Path) -> Path:
    """``workdir``, which the kernel may read: the notebook's folder. Raise
    :class:`UnusableFolder` when it holds the kernelspec (the course's root, or a folder above
    it), whose ``source/`` and ``gradebook.db`` the kernel would then read."""
    if config.resolve().is_relative_to(workdir.resolve()):
        raise UnusableFolder(_("the sandboxed kernel would read the whole course from {folder}: start it in "
                               "the notebook's folder").format(folder=workdir))
    return workdir


def kernel_policy(connection_file: str | Path, config: str | Path, workdir: str | Path,
                  ports: Sequence[int]) -> confine.Policy:
    """What the kernel may do: read the runtime, the system's libraries and CPU description, the
    connection file, its ``config`` folder and ``workdir`` (the notebook's folder); bind ``ports`` on the host's
    loopback (no network namespace of its own: nbgrader connects to it there)."""
    own = tuple(str(Path(p).resolve()) for p in (connection_file, config, workdir))
    return confine.Policy(readable=(*confine.base_readable(), *(p for p in own if os.path.exists(p))),
                          own_network=False, tcp=True,
                          bind_ports=tuple(ports), socketpairs=True, separate_init=True)


def preload() -> None:
    """Have what the kernel-side grader uses under autograde in memory before confinement makes
    the grader's files unreadable: :mod:`grader.notebook.kernel` (the armed cell imports it; this
    module imports it, with :mod:`grader.i18n`, ``cellcode`` and ``integrity``) and every catalog."""
    importlib.import_module("grader.notebook.kernel")
    for language in LANGUAGES:
        translations(language)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -I -m grader.notebook.sandboxed_kernel", add_help=False)
    parser.add_argument("-f", dest="connection_file", required=True)
    parser.add_argument("--config-folder", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start the confined kernel; the options other than ``--config-folder`` go to ipykernel."""
    args, rest = parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    try:
        ports = connection_ports(args.connection_file)
        config = prepare_config_folder(args.config_folder)
        workdir = student_folder(Path.cwd(), config)
    except (ValueError, OSError) as exc:
        print(_("convgrade sandboxed kernel: {error}").format(error=exc), file=sys.stderr)
        return 2
    confine.die_with_parent()
    if os.environ.get(PARENT_VARIABLE, str(os.getppid())) != str(os.getppid()):
        return 1  # nbgrader ended before the line above: nothing would end this kernel
    passed = {name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ}
    preload()
    confine.enter(kernel_policy(args.connection_file, config, workdir, ports))
    os.environ.update(passed)
    os.environ.update({name: str(config) for name in CONFIG_VARIABLES})
    tempfile.tempdir = str(config)  # ipykernel names cells after it; gettempdir() would need a writable one
    sys.modules.update(dict.fromkeys(UNAVAILABLE_MODULES))  # None: importing them raises ImportError
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance(argv=["-f", args.connection_file, *rest, *KERNEL_OPTIONS])
    return 0


if __name__ == "__main__":
    sys.exit(main())
