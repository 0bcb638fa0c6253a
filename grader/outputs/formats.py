"""Writing batch results: JSON (the source of truth), CSV, Gradescope and JUnit XML.

Each writer takes the results document (:func:`grader.batch.results_document`) and a path, and
writes each file atomically (:mod:`grader.outputs.atomic`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

from grader.engine import registry
from grader.engine.exercise import status_word
from grader.i18n import _
from grader.outputs import atomic
from grader.outputs.filenames import distinct_file_names
from grader.outputs.formats_github import write_github

FORMATS = ("json", "csv", "gradescope", "junit", "html", "github")


def write_json(document: dict[str, Any], path: Path) -> Path:
    """The results document as indented JSON (the source of truth)."""
    return atomic.write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def write_csv(document: dict[str, Any], path: Path) -> Path:
    """One row per student: name, each exercise's score, total, max."""
    modules = [e.module for e in registry.all_exercises()]
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["name", *modules, "score", "max_score"])
    for sub in document["submissions"]:
        writer.writerow([sub["name"], *(f"{sub['exercises'][m]['score']:g}" for m in modules),
                         f"{sub['score']:g}", f"{sub['max_score']:g}"])
    return atomic.write_text(path, rows.getvalue())


def gradescope_results(submission: dict[str, Any]) -> dict[str, Any]:
    """One submission in Gradescope's results.json format: a test per check (its messages in the
    current language: the checks' messages are the results', in the language they were graded in)."""
    tests = []
    for module, exercise in submission["exercises"].items():
        for check in exercise["checks"]:
            tests.append({"name": f"{module}: {check['name']}", "score": check["points"],
                          "max_score": check["max_points"], "status": "passed" if check["status"] == "passed"
                          else "failed", "output": check["message"] or status_word("passed"),
                          "visibility": "visible"})
    output = submission.get("problem") or _("{score}/{max_score} points").format(
        score=f"{submission['score']:g}", max_score=f"{submission['max_score']:g}")
    return {"score": submission["score"], "output": output, "visibility": "visible", "tests": tests}


def write_gradescope(document: dict[str, Any], path: Path) -> Path:
    """A folder with one Gradescope results file per submission (``<name>.json``)."""
    path.mkdir(parents=True, exist_ok=True)
    submissions = document["submissions"]
    for sub, file in zip(submissions, distinct_file_names([s["name"] for s in submissions], ".json")):
        atomic.write_text(path / file, json.dumps(gradescope_results(sub), indent=2, ensure_ascii=False))
    return path


def write_junit(document: dict[str, Any], path: Path) -> Path:
    """JUnit XML: a test suite per submission, a test case per check."""
    suites = ET.Element("testsuites", name="convgrade")
    for sub in document["submissions"]:
        checks = [(m, c) for m, e in sub["exercises"].items() for c in e["checks"]]
        failures = sum(c["status"] == "failed" for _module, c in checks)
        errors = sum(c["status"] not in ("passed", "failed", "not_submitted") for _module, c in checks)
        skipped = sum(c["status"] == "not_submitted" for _module, c in checks)
        suite = ET.SubElement(suites, "testsuite", name=sub["name"], tests=str(len(checks)),
                              failures=str(failures), errors=str(errors), skipped=str(skipped))
        for module, check in checks:
            case = ET.SubElement(suite, "testcase", classname=f"{sub['name']}.{module}", name=check["name"])
            status, message = check["status"], _xml_text(check["message"])
            if status == "failed":
                ET.SubElement(case, "failure", message=message.split("\n")[0]).text = message
            elif status == "not_submitted":
                ET.SubElement(case, "skipped", message=message)
            elif status != "passed":
                ET.SubElement(case, "error", message=f"{status}: {message.split(chr(10))[0]}").text = message
    return atomic.write_text(path, ET.tostring(suites, encoding="unicode", xml_declaration=True))


def _xml_text(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (a submission's messages may hold any)."""
    return re.sub(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "?", text or "")


def write_feedback_html(document: dict[str, Any], path: Path) -> Path:
    """A folder of per-student HTML feedback pages with pictures (imported on use: it loads
    matplotlib and Jinja2)."""
    from grader.outputs.feedback_html import write_feedback_html as write

    return write(document, path)


WRITERS: dict[str, tuple[Callable[[dict[str, Any], Path], Path], str]] = {
    "json": (write_json, ".json"),
    "csv": (write_csv, ".csv"),
    "gradescope": (write_gradescope, ".gradescope"),
    "junit": (write_junit, ".junit.xml"),
    "html": (write_feedback_html, ".feedback"),
    "github": (write_github, ".github"),
}
"""Format -> (writer, suffix of its path next to the JSON file)."""


def write_all(document: dict[str, Any], out: Path, formats: list[str]) -> list[Path]:
    """Write the JSON to ``out`` and every other format beside it (``results.csv``, ...)."""
    written = [write_json(document, out)]
    stem = out.with_suffix("") if out.suffix == ".json" else out
    for name in formats:
        if name != "json":
            writer, suffix = WRITERS[name]
            written.append(writer(document, stem.with_name(stem.name + suffix)))
    return written
