"""Gradescope's side of the autograder zip: grade one submission, write ``results.json``.

The zip's ``run_autograder`` runs ``python -m grader.release.autograder ROOT``, where ROOT is
Gradescope's ``/autograder`` (or ``$CONVGRADE_AUTOGRADER_ROOT``, to run it anywhere else): the
student's files are in ``ROOT/submission``, the results go to ``ROOT/results/results.json`` in
Gradescope's format (:func:`grader.outputs.formats.gradescope_results`: a test per check, with its score,
max_score, name, output and visibility, and the total score). The submission is graded like
``convgrade grade``: in confined workers, with the grading profile and its fixed seed (or
CONVGRADE_PROFILE, CONVGRADE_SEED, CONVGRADE_DEVICE), its messages in the language of
CONVGRADE_LANG (which ``run_autograder`` sets; :func:`grader.i18n.choose`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from grader.batch import Plan, grade_class
from grader.course import load as load_course
from grader.course import settings_defaults
from grader.engine import registry
from grader.engine.settings import Settings
from grader.i18n import N_, _, choose, current_language, set_language
from grader.outputs.formats import gradescope_results
from grader.run.limits import Limits
from grader.run.submissions import EXERCISE_FILE, SubmissionSource, discover

NOT_FOUND = N_("no exercise files found in the submission: upload files such as ex01_cross_correlation.py "
               "(or the repository holding them in exercises/, or one notebook)")


def _holds_exercises(folder: Path) -> bool:
    return any(EXERCISE_FILE.fullmatch(p.name) for p in folder.glob("*.py"))


def _visible(path: Path, top: Path) -> bool:
    return not any(part.startswith((".", "__")) for part in path.relative_to(top).parts)


def locate(submission: Path) -> Path | None:
    """What to grade in an upload: the shallowest folder holding ``exNN_*.py`` files (the upload
    itself, or ``exercises/`` of an uploaded repository), else its only notebook, else None."""
    folders = [submission, *sorted((p for p in submission.rglob("*") if p.is_dir() and _visible(p, submission)),
                                   key=lambda p: (len(p.parts), str(p)))]
    for folder in folders:
        if _holds_exercises(folder):
            return folder
    notebooks = [p for p in submission.rglob("*.ipynb") if _visible(p, submission)]
    return notebooks[0] if len(notebooks) == 1 else None


def grade(root: Path) -> dict:
    """The Gradescope results of ``root/submission``, in the current language."""
    course = registry.current_course()
    profile, seed = settings_defaults(course, None, None)
    settings = Settings.make(profile or "grading", seed)
    found = locate(root / "submission")
    source = discover([str(found)])[0] if found else SubmissionSource("submission", problem=_(NOT_FOUND))
    course = registry.current_course()
    limits = Limits(call_seconds=getattr(course, "call_seconds", None) or Limits.call_seconds,
                    memory_mb=getattr(course, "memory_mb", None) or Limits.memory_mb)
    plan = Plan(settings, limits, current_language(), course)
    return gradescope_results(grade_class([source], plan, jobs=1)[0])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else os.environ.get("CONVGRADE_AUTOGRADER_ROOT", "/autograder"))
    set_language(choose())
    registry.use_course(load_course(None, Path.cwd()))  # run_autograder runs in the zip's folder: its convgrade.toml
    results = grade(root)
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False),
                                                   encoding="utf-8")
    print(_("graded {submission}: {points} points; wrote {results}").format(
        submission=root / "submission", points=f"{results['score']:g}", results=root / "results" / "results.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
