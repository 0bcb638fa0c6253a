"""Kernel-enforced confinement of student code: what a sandbox may touch, and entering one.

Every place student code runs for marks (the batch grader's workers, local or on Ray, which the
nbgrader judge and the Gradescope autograder use too, and the kernel nbgrader runs notebooks in)
calls :func:`enter` after fork and before any student code. The rules, and what each is for:

* **Processes** (a PID namespace): the calling process W stays outside and only waits; its child
  G returns from :func:`enter` and runs the untrusted code. When the namespace's init ends (or W
  is killed: the sandbox has a parent-death SIGKILL), the kernel kills every process left in it,
  so nothing a submission starts (``setsid``, double fork) outlives it. W ends as G ended (exit
  status or signal), so the judge sees the student's process die as before. A grading worker's
  G is itself the namespace's init: one fork of a torch-sized process fewer, the largest part
  of a worker's start (as an init, G ignores signals it sends itself with no handler set,
  ``kill(getpid(), SIGKILL)`` included; faults such as SIGSEGV still end it). With
  :attr:`Policy.separate_init` (a notebook kernel, which jupyter_client interrupts and
  terminates), an init S of its own sits between them: it reaps, passes on the signals W
  forwards, and reports G's end, and G keeps ordinary signal semantics.
* **Process count**: at most :attr:`Policy.max_processes` processes and threads at once in the
  sandbox (RLIMIT_NPROC, which Linux 5.14 and later count per user namespace), so a fork bomb
  stays small; all of them die with the sandbox. The kernel exempts root's processes from it:
  run the grader as an ordinary user for this rule (the others hold for root too).
* **Signals**: a process in the namespace can name no process outside it (``kill(-1)`` reaches
  only the sandbox), and Landlock's signal scope (ABI 6) refuses signals to processes outside
  the sandbox's Landlock domain even by a pid learnt elsewhere.
* **Filesystem** (Landlock): reading is allowed only beneath :attr:`Policy.readable` (the
  interpreter, the standard library, site-packages, shared libraries, a few devices, and the
  sandbox's private copy of its own files); nothing may be written, truncated, removed,
  renamed, linked or made anywhere, and nothing executed. Files opened before :func:`enter`
  (the pipe to the judge, /dev/null as stdout) stay usable.
* **Network**: workers get their own network namespace (no interface is up in it, and abstract
  UNIX sockets are per namespace), chosen over Landlock's TCP rules because it also stops UDP,
  raw and abstract-socket traffic, on kernels before Landlock ABI 4 too. Landlock's TCP rules
  (ABI 4) deny bind and connect on top, except :attr:`Policy.bind_ports` (the notebook kernel's
  own ZMQ ports on the host's loopback: it cannot have a network namespace of its own).
* **Sockets** (seccomp): ``socket()`` is refused, except TCP where :attr:`Policy.tcp` allows it
  (protocol 0 or IPPROTO_TCP: Landlock's rules cover no other stream protocol), so no submission
  reaches a pathname UNIX socket (Ray's raylet, a Docker socket) that Landlock before ABI 9 cannot
  guard; a netlink socket is refused as unsupported (EOPNOTSUPP), which getifaddrs(3) and libzmq
  take for "no interfaces to list". ``socketpair()`` is refused too, except a connected pair of
  UNIX stream sockets where :attr:`Policy.socketpairs` allows it (asyncio's self-pipe: connected
  to each other only, like a pipe). So are io_uring, ptrace, mounts, new namespaces and keyrings,
  and changing a file's mode, owner, times or extended attributes (which Landlock does
  not cover).
* **Environment**: variables other than :data:`KEPT_VARIABLES` are removed (tokens in the
  grader's environment are not the submission's to read).
* **Privileges**: a user namespace is entered when one can be (not root in it for anything
  outside it: no raising rlimits again, no reading files the user could not), and
  ``no_new_privs`` is set.

On a kernel without some feature the rest still applies; :func:`probe` says what is in force,
and the results record it (``"confinement"``). Kernel references: Landlock ABI versions,
https://docs.kernel.org/userspace-api/landlock.html (ABI 1 Linux 5.13 filesystem, 2 5.19
REFER, 3 6.2 TRUNCATE, 4 6.7 TCP, 5 6.10 IOCTL_DEV, 6 6.12 scopes, 7 6.15 audit);
namespaces, unshare(2) and pid_namespaces(7); seccomp, seccomp(2). Landlock and seccomp
filters are built with the ``landlockpy`` and ``seccompy`` libraries (pure Python, no
compiler); the namespace calls are libc's ``unshare`` and ``prctl`` through ctypes.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import functools
import os
import resource
import signal
import struct
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from grader.i18n import _

try:  # Linux only; elsewhere nothing can be confined and probe() says so
    import landlockpy
    import seccompy
except ImportError:  # pragma: no cover - not Linux
    landlockpy = seccompy = None  # type: ignore[assignment]

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x08000000, 0x10000000, 0x20000000, 0x40000000
PR_SET_PDEATHSIG = 1  # prctl(2)

SIGNAL_SCOPE_ABI = 6
TCP_ABI = 4
AF_UNIX, AF_NETLINK = 1, 16
TCP_PROTOCOLS = (0, 6)  # the default protocol, IPPROTO_TCP
TRUNCATE_ABI = 3  # before it, truncate(2) is not a handled right: strict mode needs it

KEPT_VARIABLES = ("PATH", "LANG", "LANGUAGE", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                  "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ATEN_CPU_CAPABILITY", "CUDA_VISIBLE_DEVICES",
                  "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE")
"""Environment variables a sandbox keeps (also every ``LC_*``): locale, threads, kernel dispatch."""

SYSTEM_READABLE = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib", "/etc/ld.so.cache",
                   "/etc/localtime", "/usr/share/zoneinfo", "/etc/nsswitch.conf", "/dev/null", "/dev/zero",
                   "/dev/urandom", "/dev/random", "/sys/devices/system/cpu", "/proc/cpuinfo")
"""Shared libraries, time zones, a few harmless devices, the CPU list (OpenMP reads it) and the
CPU's features (torch's cpuinfo reads them in each new process: without them it cannot tell
which vector instructions it may use)."""

CUDA_READABLE = ("/proc/driver/nvidia", "/sys/bus/pci", "/sys/devices", "/usr/local/nvidia", "/usr/local/cuda")
CUDA_DEVICES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia0", "/dev/nvidia1",
                "/dev/nvidia2", "/dev/nvidia3", "/dev/nvidia4", "/dev/nvidia5", "/dev/nvidia6", "/dev/nvidia7")

DENIED_SYSCALLS = ("socketpair", "io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace",
                   "process_vm_readv", "process_vm_writev", "bpf", "perf_event_open", "userfaultfd", "keyctl",
                   "add_key", "request_key", "mount", "umount2", "pivot_root", "move_mount", "open_tree",
                   "fsopen", "fsmount", "fsconfig", "unshare", "setns", "kexec_load", "init_module",
                   "finit_module", "delete_module", "execve", "execveat", "name_to_handle_at",
                   "open_by_handle_at",
                   # metadata, which Landlock (ABI 7) does not guard: modes, owners, times, attributes
                   "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime",
                   "utimes", "utimensat", "futimesat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
                   "lremovexattr", "fremovexattr", "setxattrat", "removexattrat")
"""Refused with EPERM by seccomp (``socket`` too, unless :attr:`Policy.tcp`); a name this
architecture lacks is skipped. Landlock does not cover a file's mode, owner, times and extended
attributes, which a sandbox could otherwise change on any file its user owns (root's, when the
grader runs as root) and it can name: ``chmod 0`` on the gradebook, ``chmod o+r`` on the
solutions, a ``user.*`` attribute on a shared library as a channel between students."""


@dataclass(frozen=True)
class Policy:
    """What one sandbox may do."""

    readable: tuple[str, ...]  # hierarchies it may read (files or folders)
    own_network: bool = True  # a network namespace of its own (False: the host's, e.g. a kernel's loopback)
    tcp: bool = False  # may open TCP sockets (bind still only to bind_ports, connect nowhere)
    bind_ports: tuple[int, ...] = ()  # TCP ports it may bind
    devices: tuple[str, ...] = ()  # device files it may open for reading and writing (a GPU's)
    max_processes: int = 64  # processes and threads at once in the sandbox (RLIMIT_NPROC, per user namespace)
    socketpairs: bool = False  # may make connected pairs of UNIX stream sockets (asyncio's self-pipe)
    separate_init: bool = False  # an init of its own reaps and forwards signals (see enter())


FEATURES = ("filesystem", "network", "signals", "processes")
"""What the results record of the confinement, feature by feature."""


@dataclass(frozen=True)
class InForce:
    """What confinement a kernel gives, feature by feature (``"none"`` where missing)."""

    filesystem: str  # "landlock-7"
    network: str  # "netns+seccomp", "landlock-4+seccomp"
    signals: str  # "pidns+landlock-6"
    processes: str  # "pidns"
    missing: tuple[str, ...] = field(default=(), compare=False)  # what is missing, and which kernel gives it

    def record(self) -> dict[str, str]:
        """As the results JSON records it."""
        return {feature: getattr(self, feature) for feature in FEATURES}

    @property
    def complete(self) -> bool:
        return not self.missing


def landlock_abi() -> int:
    """The running kernel's Landlock ABI version (0: no Landlock)."""
    return landlockpy.abi_version() if landlockpy is not None else 0


def namespaces_available() -> bool:
    """Whether this process may create user, PID and network namespaces (tried in a child)."""
    if not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


_PROBED: InForce | None = None


def probe() -> InForce:
    """What confinement this kernel gives (computed once per process, with what every worker's
    confinement reuses: the runtime's paths and the seccomp filters); what is missing is said
    in the language in force then."""
    global _PROBED
    if _PROBED is None:
        _worker_base()
        abi, spaces, filtered = landlock_abi(), namespaces_available(), seccomp_available()
        if filtered:
            _seccomp_filter(False, False), _seccomp_filter(True, True)
        missing = []
        if abi < TRUNCATE_ABI:
            missing.append(_("filesystem: Landlock ABI {needed} (Linux 6.2) or newer, found ABI {found}")
                           .format(needed=TRUNCATE_ABI, found=abi))
        if not spaces:
            missing.append(_("processes and network: user, PID and network namespaces (unprivileged user "
                             "namespaces enabled: sysctl kernel.unprivileged_userns_clone=1, or AppArmor's "
                             "kernel.apparmor_restrict_unprivileged_userns=0)"))
        if not filtered:
            missing.append(_("sockets: seccomp filters (Linux 3.17)"))
        if not spaces and abi < SIGNAL_SCOPE_ABI:
            missing.append(_("signals: a PID namespace or Landlock ABI {needed} (Linux 6.12)").format(
                needed=SIGNAL_SCOPE_ABI))
        sockets = "+seccomp" if filtered else ""
        network = ("netns" if spaces else f"landlock-{abi}" if abi >= TCP_ABI else "none") + sockets
        signals = "+".join(([("pidns")] if spaces else []) + ([f"landlock-{abi}"] if abi >= SIGNAL_SCOPE_ABI else []))
        _PROBED = InForce(filesystem=f"landlock-{abi}" if abi else "none", network=network,
                          signals=signals or "none", processes="pidns" if spaces else "session",
                          missing=tuple(missing))
    return _PROBED


@functools.cache
def runtime_readable() -> tuple[str, ...]:
    """The interpreter's own files: the standard library and every site-packages on the path."""
    paths = {sysconfig.get_path(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths |= {p for p in sys.path if p.endswith(("site-packages", "dist-packages", "lib-dynload"))}
    paths |= {str(Path(sys.executable).resolve().parent), sys.base_prefix + "/lib", sys.exec_prefix + "/lib"}
    return tuple(sorted(p for p in paths if p and os.path.exists(p)))


@functools.cache
def base_readable() -> tuple[str, ...]:
    """What every sandbox may read, of what exists here: the runtime and :data:`SYSTEM_READABLE`."""
    return tuple(p for p in (*runtime_readable(), *SYSTEM_READABLE) if os.path.exists(p))


@functools.cache
def _worker_base() -> Policy:
    devices = tuple(d for d in CUDA_DEVICES if os.path.exists(d))
    cuda = tuple(p for p in CUDA_READABLE if devices and os.path.exists(p))
    return Policy(readable=(*base_readable(), *cuda), devices=devices)


def worker_policy(folder: str | Path) -> Policy:
    """A grading worker's policy: the runtime, and its private folder of the submission's files
    (the rest computed once per process)."""
    base = _worker_base()
    return dataclasses.replace(base, readable=(*base.readable, str(folder)))


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _unshare(flags: int) -> int:
    """unshare(2): 0, or the errno."""
    return 0 if _libc().unshare(flags) == 0 else ctypes.get_errno()


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when the thread that started it ends (prctl(2))."""
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def scrub_environment() -> None:
    """Keep only :data:`KEPT_VARIABLES` (and ``LC_*``) in the environment."""
    for name in list(os.environ):
        if name not in KEPT_VARIABLES and not name.startswith("LC_"):
            del os.environ[name]


def _landlock(policy: Policy) -> None:
    abi = landlock_abi()
    if not abi:
        return
    read_file = landlockpy.AccessFS.READ_FILE
    read = read_file | landlockpy.AccessFS.READ_DIR
    scopes = landlockpy.Scope.ABSTRACT_UNIX_SOCKET | landlockpy.Scope.SIGNAL
    net = landlockpy.AccessNet.BIND_TCP | landlockpy.AccessNet.CONNECT_TCP
    # IOCTL_DEV is not handled: ioctls stay as the devices themselves allow (a GPU needs them)
    fs = landlockpy.fs_for_abi(abi) & ~landlockpy.AccessFS.IOCTL_DEV
    with landlockpy.Ruleset(handled_fs=fs, handled_net=net, scoped=scopes) as rules:
        for path in policy.readable:
            rules.allow_path(path, read if os.path.isdir(path) else read_file)
        for device in policy.devices:
            rules.allow_path(device, read_file | landlockpy.AccessFS.WRITE_FILE)
        for port in policy.bind_ports:
            rules.allow_port(port, landlockpy.AccessNet.BIND_TCP)
        rules.restrict()


@functools.cache
def seccomp_available() -> bool:
    """Whether this kernel installs seccomp filters (asked once per process)."""
    return seccompy is not None and seccompy.supported()


def _seccomp(policy: Policy) -> None:
    if seccomp_available():
        _seccomp_filter(policy.tcp, policy.socketpairs).load()


@functools.cache
def _seccomp_filter(tcp: bool, socketpairs: bool) -> Any:
    """The filter, compiled once per process (a fork loads its own copy)."""
    rules = seccompy.Filter(default=seccompy.Action.ALLOW)
    if tcp:
        # AF_INET, AF_INET6; SOCK_STREAM (1) whatever the flags in its high bits; protocol 0 or TCP
        # only: Landlock's TCP rules do not cover other stream protocols (SCTP, MPTCP)
        for family in (2, 10):
            for protocol in TCP_PROTOCOLS:
                rules.allow("socket", args=[(0, seccompy.CmpOp.EQ, family), (1, seccompy.CmpOp.MASKED_EQ, 1, 0xF),
                                            (2, seccompy.CmpOp.EQ, protocol)])
    # a netlink socket reads as unsupported, not forbidden: getifaddrs(3) then fails as on a system
    # without netlink, which libzmq (a kernel's ZMQ sockets resolve their address) survives
    rules.errno("socket", errno.EOPNOTSUPP, args=[(0, seccompy.CmpOp.EQ, AF_NETLINK)])
    rules.errno("socket", errno.EPERM)
    if socketpairs:  # connected to each other only, like a pipe; SOCK_DGRAM could sendto() a path
        rules.allow("socketpair", args=[(0, seccompy.CmpOp.EQ, AF_UNIX), (1, seccompy.CmpOp.MASKED_EQ, 1, 0xF)])
    for name in DENIED_SYSCALLS:
        try:
            rules.errno(name, errno.EPERM)
        except (KeyError, ValueError):  # not a syscall of this architecture
            pass
    assert rules.program  # compiled now
    return rules


def _mirror(status: int) -> NoReturn:
    """End this process as a wait status says its child ended: the same signal, or exit status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
"""Signals W passes on to the sandbox (a kernel's interrupt, a shutdown)."""


def _outer(sandbox: int, status_r: int | None = None) -> NoReturn:
    """W: pass signals on to the sandbox, wait for it, then end as it ended (as its init reports
    on ``status_r``, where it has one)."""
    for sig in FORWARDED:
        signal.signal(sig, lambda signum, frame: os.kill(sandbox, signum))
    try:
        _, status = os.waitpid(sandbox, 0)
    except ChildProcessError:
        status = signal.SIGKILL  # as a wait status: killed by SIGKILL
    if status_r is not None:
        raw = os.read(status_r, 8)
        status = struct.unpack("q", raw)[0] if len(raw) == 8 else signal.SIGKILL
    _mirror(status)


def _init(server: int, status_w: int) -> NoReturn:
    """S: pass signals on to the sandboxed process, reap every process of the namespace until it
    ends, and report how it ended."""
    for sig in FORWARDED:
        signal.signal(sig, lambda signum, frame: os.kill(server, signum))
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            status = signal.SIGKILL
            break
        if pid == server:
            break
    os.write(status_w, struct.pack("q", status))
    os._exit(0)  # the kernel kills whatever is left in the namespace


def _limit_processes(policy: Policy) -> None:
    """Counted per user namespace (Linux 5.14's ucounts): this sandbox's own, not the user's."""
    resource.setrlimit(resource.RLIMIT_NPROC, (policy.max_processes, policy.max_processes))


def enter(policy: Policy) -> InForce:
    """Confine this process as ``policy`` says and return, in the sandboxed process, what is in
    force. Call it in a fresh single-threaded process (right after fork) before any untrusted
    code. With namespaces, this process waits outside and never returns (see the module
    docstring); without them, this process itself is confined (the judge kills its session)."""
    in_force = probe()
    scrub_environment()
    if os.getsid(0) != os.getpid():  # unless it leads its session already, as a Jupyter kernel does
        os.setsid()  # the judge can kill the group (W and the sandbox) at once
    spaces = in_force.processes == "pidns" and _unshare(
        CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC | (CLONE_NEWNET if policy.own_network else 0)) == 0
    if spaces and policy.separate_init:
        status_r, status_w = os.pipe()
        init = os.fork()
        if init:
            os.close(status_w)
            _outer(init, status_r)
        os.close(status_r)
        die_with_parent()
        _limit_processes(policy)
        _confine_self(policy)  # S is confined too: nothing the sandboxed process does can reach past it
        server = os.fork()
        if server:
            _init(server, status_w)
        os.close(status_w)
        die_with_parent()
        return in_force
    if spaces:
        sandbox = os.fork()
        if sandbox:
            _outer(sandbox)
        die_with_parent()
        _limit_processes(policy)
    _confine_self(policy)
    return in_force


def _confine_self(policy: Policy) -> None:
    _landlock(policy)
    _seccomp(policy)
