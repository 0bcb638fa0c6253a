"""Adding up check results into points per exercise, and the table students see."""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import Iterable

from rich import box
from rich.console import Console
from rich.table import Table

from grader.engine import registry
from grader.engine.outcome import CheckResult
from grader.i18n import _


def totals(results: Iterable[CheckResult]) -> OrderedDict[str, tuple[float, float]]:
    """(points, max points) per exercise module, in contract order, for the checks that ran."""
    sums: dict[str, list[float]] = {}
    for r in results:
        entry = sums.setdefault(r.exercise, [0.0, 0.0])
        entry[0] += r.points
        entry[1] += r.max_points
    return OrderedDict((k, (sums[k][0], sums[k][1])) for k in sorted(sums))


def points_table(results: Iterable[CheckResult], width: int = 88) -> str:
    """A plain-text table: one row per exercise (points, max, checks passed) and the total."""
    results = list(results)
    table = Table(box=box.ASCII, show_edge=False, header_style="bold")
    for column, justify in ((_("exercise"), "left"), (_("title"), "left"), (_("checks passed"), "right"),
                            (_("points"), "right")):
        table.add_column(column, justify=justify)
    total, total_max = 0.0, 0.0
    for module, (points, max_points) in totals(results).items():
        mine = [r for r in results if r.exercise == module]
        passed = sum(r.passed for r in mine)
        table.add_row(module, _(registry.get(module).title), f"{passed}/{len(mine)}", f"{points:g}/{max_points:g}")
        total += points
        total_max += max_points
    table.add_section()
    table.add_row(_("total"), "", "", f"{total:g}/{total_max:g}")
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(table)
    return buffer.getvalue().rstrip()
