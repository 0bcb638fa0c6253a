"""The Gradescope autograder: ``autograder.zip`` with ``setup.sh``, ``run_autograder`` and the
grader as installable source, built in steps like the student release and verified the same way
(no model answer inside).

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` there once as root
(which installs Python and the grader with the pinned versions into ``/autograder/venv``), then,
per submission, ``run_autograder`` (copied to ``/autograder/run_autograder``), which runs
:mod:`grader.release.autograder`. ``CONVGRADE_AUTOGRADER_ROOT`` replaces ``/autograder`` and
``CONVGRADE_PYTHON`` the venv's interpreter, so the same files run anywhere (our tests do).
``run_autograder`` sets ``CONVGRADE_LANG`` to the language the zip was built in (the current
one, :mod:`grader.i18n`): results.json's messages are in that language.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from grader.i18n import current_language
from grader.release.leaks import verify
from grader.release.tree import pack_installs, pip_install, python_version, write_grader
from grader.stubs import ROOT

ZIP_NAME = "autograder.zip"

SETUP_SH = """\
#!/usr/bin/env bash
# Run once by Gradescope, as root, in /autograder/source: installs Python {python} when it is
# missing, then the grader with the pinned, tested versions into $ROOT/venv.
set -euo pipefail
ROOT="${{CONVGRADE_AUTOGRADER_ROOT:-/autograder}}"
PYTHON=python{python}
cd "$ROOT/source"
if ! command -v "$PYTHON" >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    if ! apt-get install -y "$PYTHON" "$PYTHON-venv"; then
        apt-get install -y software-properties-common
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y "$PYTHON" "$PYTHON-venv"
    fi
fi
"$PYTHON" -m venv "$ROOT/venv"
{install}
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Run by Gradescope for every submission: grades $ROOT/submission and writes
# $ROOT/results/results.json. CONVGRADE_AUTOGRADER_ROOT replaces /autograder and
# CONVGRADE_PYTHON the interpreter (default: the venv that setup.sh made).
set -euo pipefail
ROOT="${{CONVGRADE_AUTOGRADER_ROOT:-/autograder}}"
# The language of the feedback (convgrade gradescope --lang).
export CONVGRADE_LANG={language}
cd "$ROOT/source"
exec "${{CONVGRADE_PYTHON:-$ROOT/venv/bin/python}}" -m grader.release.autograder "$ROOT"
"""

README = """\
# convgrade autograder for Gradescope

Built by `convgrade gradescope`. Upload `autograder.zip` as the assignment's autograder (Ubuntu
base image). `setup.sh` installs Python and the grader with the versions of `constraints.txt`;
`run_autograder` grades each submission (files such as `ex01_cross_correlation.py`, a
repository holding them in `exercises/`, or one notebook) with the grading profile and writes
`results.json`: one test per check, with its points and feedback.
"""

SCRIPTS = ("setup.sh", "run_autograder")  # executable members of the zip


def write_autograder(root: Path, dest: Path) -> list[Path]:
    """The zip's files into ``dest`` (unverified; see :func:`build_autograder`)."""
    written = write_grader(root, dest)
    install = "\n".join([pip_install('"$ROOT/venv/bin/python"', ".", "constraints.txt"),
                         *pack_installs('"$ROOT/venv/bin/python"', ".")])
    texts = {"setup.sh": SETUP_SH.format(python=python_version(), install=install),
             "run_autograder": RUN_AUTOGRADER.format(language=current_language()), "README.md": README}
    for name, text in texts.items():
        (dest / name).write_text(text, encoding="utf-8")
        written.append(dest / name)
    return written


def zip_tree(tree: Path, path: Path) -> Path:
    """``tree``'s files into the zip ``path``, sorted, with fixed dates (the same tree gives the
    same bytes) and the scripts executable."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in tree.rglob("*") if p.is_file()):
            name = file.relative_to(tree).as_posix()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if name in SCRIPTS else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    return path


def build_autograder(outdir: Path, root: Path = ROOT) -> Path:
    """``outdir/autograder.zip``, verified to hold no model answer
    (:class:`grader.release.leaks.LeakError` otherwise, and no zip is written)."""
    with tempfile.TemporaryDirectory(prefix="convgrade-autograder-") as staging:
        tree = Path(staging)
        write_autograder(root, tree)
        verify(tree, root / "solutions")
        outdir.mkdir(parents=True, exist_ok=True)
        return zip_tree(tree, outdir / ZIP_NAME)
