"""The ``github`` output of the batch grader: a job summary in Markdown and workflow annotations.

For a GitHub Actions run (student CI, :mod:`grader.release.workflow`): the summary has a table
of points per exercise and, folded under each failing check, its feedback (the smallest
counterexample, what was expected, what came back, the hint); each function with a failing
check gets one ``::error`` annotation at its ``def`` line in the student's file, found with
:mod:`ast`. Functions that are still the stub's ``raise NotImplementedError`` are listed in the
summary but not annotated: they are unfinished, not wrong.

Annotations name the graded files as ``$CONVGRADE_GITHUB_SOURCE/<module>.py`` (default
``exercises``, the folder holding the student's files, relative to the repository root and to
the working directory, where the ``def`` lines are read).
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

from grader import registry

SOURCE_ENV = "CONVGRADE_GITHUB_SOURCE"
DEFAULT_SOURCE = "exercises"
NOT_IMPLEMENTED = "not implemented yet"
"""The end of a stub's feedback (``"<task>: not implemented yet"``, :mod:`grader.target`)."""


def _points(value: float, max_value: float) -> str:
    return f"{value:g}/{max_value:g}"


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _fenced(text: str) -> str:
    """``text`` in a code block whose fence no run of backticks inside it can close."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}text\n{text}\n{fence}"


def _task(check: dict[str, Any]) -> tuple[str, str]:
    """``"cust_conv2d[matches_torch]"`` -> ``("cust_conv2d", "matches_torch")``."""
    task, _, rest = check["name"].partition("[")
    return task, rest.rstrip("]")


def _failing_tasks(exercise: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Task -> its failing checks (graded and not passed), in order."""
    tasks: dict[str, list[dict[str, Any]]] = {}
    for check in exercise["checks"]:
        if check["status"] not in ("passed", "not_submitted"):
            tasks.setdefault(_task(check)[0], []).append(check)
    return tasks


def _unimplemented(task: str, checks: list[dict[str, Any]]) -> bool:
    return all(c["message"] == f"{task}: {NOT_IMPLEMENTED}" for c in checks)


def _failures_markdown(module: str, task: str, checks: list[dict[str, Any]]) -> list[str]:
    """One folded block per distinct message of a task's failing checks."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        groups.setdefault(check["message"], []).append(check)
    lines = []
    for message, same in groups.items():
        names = ", ".join(_task(c)[1] for c in same)
        statuses = sorted({c["status"] for c in same} - {"failed"})
        status = f" ({', '.join(statuses)})" if statuses else ""
        points = _points(sum(c["points"] for c in same), sum(c["max_points"] for c in same))
        summary = f"<code>{module}</code> <b><code>{task}</code></b> [{names}]{status}: {points} points"
        lines += [f"<details><summary>{summary}</summary>", "", _fenced(message), "", "</details>", ""]
    return lines


def submission_markdown(submission: dict[str, Any], heading: str) -> str:
    """One submission's summary: points per exercise, then every failing check's feedback."""
    lines = [f"## {heading}: {_points(submission['score'], submission['max_score'])} points", ""]
    if submission.get("problem"):
        lines += [f"> **Not graded:** {_cell(submission['problem'])}", ""]
    lines += ["| exercise | title | status | points |", "| --- | --- | --- | ---: |"]
    for module, exercise in submission["exercises"].items():
        tasks = _failing_tasks(exercise)
        untouched = exercise["score"] == 0 and tasks and all(_unimplemented(t, c) for t, c in tasks.items())
        status = NOT_IMPLEMENTED if untouched else exercise["status"].replace("_", " ")
        lines.append(f"| `{module}.py` | {_cell(registry.get(module).title)} | {status} | "
                     f"{_points(exercise['score'], exercise['max_score'])} |")
    lines += [f"| **total** | | | **{_points(submission['score'], submission['max_score'])}** |", ""]
    failures: list[str] = []
    unfinished: list[str] = []
    for module, exercise in submission["exercises"].items():
        for task, checks in _failing_tasks(exercise).items():
            if _unimplemented(task, checks):
                unfinished.append(f"`{task}`")
            else:
                failures += _failures_markdown(module, task, checks)
    if failures:
        lines += ["### Failing checks", "", *failures]
    if unfinished:
        lines += [f"**{NOT_IMPLEMENTED.capitalize()}:** {', '.join(unfinished)}", ""]
    return "\n".join(lines)


def summary_markdown(document: dict[str, Any]) -> str:
    """The job summary of a results document (one section per submission)."""
    submissions = document["submissions"]
    sections = [submission_markdown(s, "convgrade" if len(submissions) == 1 else f"convgrade: {s['name']}")
                for s in submissions]
    settings = f"profile {document['profile']}, seed {document['seed']}, device {document['device']}"
    return "\n".join(sections) + f"\n<sub>Graded by convgrade {document['versions']['convgrade']} ({settings}).</sub>\n"


def definition_lines(source: str) -> dict[str, int]:
    """Name -> line of its last top-level definition (``def``, ``class``, assignment or import);
    empty when the source does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    lines: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            lines[node.name] = node.lineno
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        lines[name.id] = node.lineno
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                lines[(alias.asname or alias.name).split(".")[0]] = node.lineno
    return lines


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, **properties: str | int) -> str:
    """``::error file=...,line=...,title=...::message``, escaped as GitHub's toolkit escapes."""
    props = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    return f"::{level}{' ' + props if props else ''}::{_escape_data(message)}"


def annotations(document: dict[str, Any], source: Path) -> list[str]:
    """One ``::error`` per function with a failing check, one per submission that could not be
    graded. For a document of one submission, a function's error points at its ``def`` line in
    ``source/<module>.py`` when that file exists; a class's errors name the student instead."""
    commands = []
    several = len(document["submissions"]) > 1
    for submission in document["submissions"]:
        prefix = f"{submission['name']}: " if several else ""
        if submission.get("problem"):
            commands.append(workflow_command("error", submission["problem"], title=f"{prefix}not graded"))
            continue
        for module, exercise in submission["exercises"].items():
            path = source / f"{module}.py"
            local = path.is_file() and not several  # a class's files are not under source/
            lines = definition_lines(path.read_text(encoding="utf-8", errors="replace")) if local else {}
            for task, checks in _failing_tasks(exercise).items():
                if _unimplemented(task, checks):
                    continue
                task_checks = [c for c in exercise["checks"] if _task(c)[0] == task]
                points = _points(sum(c["points"] for c in task_checks), sum(c["max_points"] for c in task_checks))
                where: dict[str, str | int] = {"file": path.as_posix()} if local else {}
                if task in lines:
                    where["line"] = lines[task]
                first = checks[0]
                message = f"[{_task(first)[1]}] {first['message']}"
                commands.append(workflow_command("error", message, **where,
                                                 title=f"{prefix}{module}: {task} ({points} points)"))
    return commands


def write_github(document: dict[str, Any], path: Path) -> Path:
    """A folder with ``summary.md`` (the job summary) and ``annotations.txt`` (the workflow
    commands, one per line). Inside GitHub Actions it also appends the summary to
    ``$GITHUB_STEP_SUMMARY`` and prints the annotations on stdout, where the runner reads them."""
    summary = summary_markdown(document)
    commands = annotations(document, Path(os.environ.get(SOURCE_ENV) or DEFAULT_SOURCE))
    path.mkdir(parents=True, exist_ok=True)
    (path / "summary.md").write_text(summary, encoding="utf-8")
    (path / "annotations.txt").write_text("".join(f"{c}\n" for c in commands), encoding="utf-8")
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for command in commands:
            print(command, flush=True)
    return path
