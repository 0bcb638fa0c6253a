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

from grader.engine import registry
from grader.engine.exercise import status_word
from grader.i18n import LANGUAGES, _, translations
from grader.outputs import atomic

SOURCE_ENV = "CONVGRADE_GITHUB_SOURCE"
DEFAULT_SOURCE = "exercises"
STUB_MESSAGE = "{name}: not implemented yet"
"""The msgid of a stub's feedback (:mod:`grader.run.target`, which marks it for translation): a
check's message is this, in the language the submission was graded in, for a stub."""


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
    task, _bracket, rest = check["name"].partition("[")
    return task, rest.rstrip("]")


def _failing_tasks(exercise: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Task -> its failing checks (graded and not passed), in order."""
    tasks: dict[str, list[dict[str, Any]]] = {}
    for check in exercise["checks"]:
        if check["status"] not in ("passed", "not_submitted"):
            tasks.setdefault(_task(check)[0], []).append(check)
    return tasks


def stub_messages(task: str) -> set[str]:
    """What a stub's check says, in every language of :data:`grader.i18n.LANGUAGES` (results may
    have been graded in another language than the one writing this output)."""
    return {translations(language).gettext(STUB_MESSAGE).format(name=task) for language in LANGUAGES}


def _unimplemented(task: str, checks: list[dict[str, Any]]) -> bool:
    said = stub_messages(task)
    return all(c["message"] in said for c in checks)


def _failures_markdown(module: str, task: str, checks: list[dict[str, Any]]) -> list[str]:
    """One folded block per distinct message of a task's failing checks."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        groups.setdefault(check["message"], []).append(check)
    lines = []
    for message, same in groups.items():
        names = ", ".join(_task(c)[1] for c in same)
        statuses = sorted({c["status"] for c in same} - {"failed"})
        points = _points(sum(c["points"] for c in same), sum(c["max_points"] for c in same))
        words = (_("{exercise} {function} [{checks}] ({statuses}): {points} points") if statuses
                 else _("{exercise} {function} [{checks}]: {points} points"))
        summary = words.format(exercise=f"<code>{module}</code>", function=f"<b><code>{task}</code></b>", checks=names,
                               statuses=", ".join(status_word(s) for s in statuses), points=points)
        lines += [f"<details><summary>{summary}</summary>", "", _fenced(message), "", "</details>", ""]
    return lines


def submission_markdown(submission: dict[str, Any], heading: str) -> str:
    """One submission's summary: points per exercise, then every failing check's feedback."""
    total = _points(submission["score"], submission["max_score"])
    lines = ["## " + _("{heading}: {points} points").format(heading=heading, points=total), ""]
    if submission.get("problem"):
        lines += ["> " + _("**Not graded:** {problem}").format(problem=_cell(submission["problem"])), ""]
    header = (_("exercise"), _("title"), _("status"), _("points"))
    lines += ["| {} | {} | {} | {} |".format(*map(_cell, header)), "| --- | --- | --- | ---: |"]
    for module, exercise in submission["exercises"].items():
        tasks = _failing_tasks(exercise)
        untouched = exercise["score"] == 0 and tasks and all(_unimplemented(t, c) for t, c in tasks.items())
        status = _("not implemented yet") if untouched else status_word(exercise["status"])
        lines.append(f"| `{module}.py` | {_cell(_(registry.get(module).title))} | {_cell(status)} | "
                     f"{_points(exercise['score'], exercise['max_score'])} |")
    lines += ["| **{}** | | | **{}** |".format(_cell(_("total")), total), ""]
    failures: list[str] = []
    unfinished: list[str] = []
    for module, exercise in submission["exercises"].items():
        for task, checks in _failing_tasks(exercise).items():
            if _unimplemented(task, checks):
                unfinished.append(f"`{task}`")
            else:
                failures += _failures_markdown(module, task, checks)
    if failures:
        lines += ["### " + _("Failing checks"), "", *failures]
    if unfinished:
        lines += [_("**Not implemented yet:** {functions}").format(functions=", ".join(unfinished)), ""]
    return "\n".join(lines)


def summary_markdown(document: dict[str, Any]) -> str:
    """The job summary of a results document (one section per submission)."""
    submissions = document["submissions"]
    sections = [submission_markdown(s, "convgrade" if len(submissions) == 1 else f"convgrade: {s['name']}")
                for s in submissions]
    footer = _("Graded by convgrade {version} (profile {profile}, seed {seed}, device {device}).").format(
        version=document["versions"]["convgrade"], profile=document["profile"], seed=document["seed"],
        device=document["device"])
    return "\n".join(sections) + f"\n<sub>{footer}</sub>\n"


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
            commands.append(workflow_command("error", submission["problem"], title=prefix + _("not graded")))
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
                title = _("{exercise}: {function} ({points} points)").format(exercise=module, function=task,
                                                                             points=points)
                commands.append(workflow_command("error", message, **where, title=prefix + title))
    return commands


def write_github(document: dict[str, Any], path: Path) -> Path:
    """A folder with ``summary.md`` (the job summary) and ``annotations.txt`` (the workflow
    commands, one per line). Inside GitHub Actions it also appends the summary to
    ``$GITHUB_STEP_SUMMARY`` and prints the annotations on stdout, where the runner reads them."""
    summary = summary_markdown(document)
    commands = annotations(document, Path(os.environ.get(SOURCE_ENV) or DEFAULT_SOURCE))
    path.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path / "summary.md", summary)
    atomic.write_text(path / "annotations.txt", "".join(f"{c}\n" for c in commands))
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for command in commands:
            print(command, flush=True)
    return path
