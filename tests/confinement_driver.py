"""Grades a class with ``convgrade grade`` as the init of a PID namespace of its own, and reports
what the run left behind, as one JSON line on stdout.

Run by tests/test_confinement.py as ``unshare --pid --fork --mount-proc python
tests/confinement_driver.py CLASS OUT PORT``: a hostile submission that escaped its sandbox
could then kill only this namespace, never the test runner. Meanwhile this process listens
on 127.0.0.1:PORT and records every connection a submission makes to it; afterwards it lists
the processes still alive in the namespace (itself aside) and tries to connect to the ports the
hostile submissions asked to listen on.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time


def listen(port: int, accepted: list[str]) -> socket.socket:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()

    def accept() -> None:
        while True:
            try:
                connection, address = server.accept()
            except OSError:
                return
            accepted.append(f"{address}: {connection.recv(100)!r}")
            connection.close()

    threading.Thread(target=accept, daemon=True).start()
    return server


def reap() -> None:
    """Collect the exit status of every dead process (orphans are this init's to reap)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def alive_processes() -> list[str]:
    """The command lines of the namespace's living processes other than this one."""
    reap()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry}: {command[:120]}")
            except OSError:
                pass
    return found


def reachable(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def main(class_dir: str, out: str, port: int) -> None:
    accepted: list[str] = []
    server = listen(port, accepted)
    start = time.monotonic()
    grade = subprocess.run([sys.executable, "-m", "grader.cli", "grade", class_dir, "--out", f"{out}/results.json",
                            "--format", "json,csv", "--jobs", "2", "--lang", "en", "--timeout", "3"],
                           capture_output=True, text=True)
    seconds = time.monotonic() - start
    time.sleep(1)  # anything a sandbox's end left dying has died
    report = {"returncode": grade.returncode, "stderr": grade.stderr[-3000:], "stdout": grade.stdout[-3000:],
              "seconds": seconds, "alive": alive_processes(), "accepted": accepted,
              "listening": [p for p in (port + 1, port + 2) if reachable(p)]}
    server.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
