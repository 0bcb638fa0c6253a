"""The course's Jupyter kernelspec for autograding: ``<course>/kernels/convgrade-sandboxed/``.

``kernel.json`` starts :mod:`grader.notebook.sandboxed_kernel` with this interpreter (the one
convgrade is installed in); its ``config/`` folder is the kernel's read-only IPython and
matplotlib folder. Interrupts are sent as messages (``interrupt_mode: message``): ipykernel then
interrupts itself inside the sandbox, where a signal to the launcher's process group would reach
the launcher, the sandbox's init and the kernel, each forwarding it again.

The autograde step (:class:`grader.notebook.autograde.DeferredExecute`) finds kernels only in
the course's ``kernels/`` folder (:func:`spec_manager`), so a course without this kernelspec
fails to autograde instead of running students' notebooks unconfined.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

from grader.i18n import _

KERNEL_NAME = "convgrade-sandboxed"
FOLDER = "kernels"
CONFIG = "config"


def kernels_folder(course: str | Path) -> Path:
    """The folder of the course's kernelspecs."""
    return Path(course) / FOLDER


def kernelspec() -> dict[str, object]:
    """The content of ``kernel.json`` (``{resource_dir}`` and ``{connection_file}`` are filled in
    by jupyter_client when it starts the kernel)."""
    return {
        "argv": [sys.executable, "-I", "-m", "grader.notebook.sandboxed_kernel",
                 "--config-folder", "{resource_dir}/" + CONFIG, "-f", "{connection_file}"],
        "display_name": _("Python 3 (convgrade, confined)"),
        "language": "python",
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }


def write_kernelspec(course: str | Path) -> Path:
    """Write the kernelspec under the course's ``kernels/`` folder; return its ``kernel.json``."""
    from grader.notebook.sandboxed_kernel import prepare_config_folder

    folder = kernels_folder(course) / KERNEL_NAME
    prepare_config_folder(folder / CONFIG)
    path = folder / "kernel.json"
    path.write_text(json.dumps(kernelspec(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def spec_manager(course: str | Path) -> KernelSpecManager:
    """A kernelspec manager that finds the course's kernels and no other."""
    return KernelSpecManager(kernel_dirs=[str(kernels_folder(course).resolve())], ensure_native_kernel=False)
