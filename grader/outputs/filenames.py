"""File names for per-submission outputs: safe on any file system and distinct."""

from __future__ import annotations

import re


def distinct_file_names(names: list[str], suffix: str, reserved: tuple[str, ...] = ()) -> list[str]:
    """One file name per submission name, in order: characters other than letters, digits,
    ``.``, ``-`` and ``_`` become ``_``, long names are cut, and repeats (ignoring case, for file
    systems that do) get ``-2``, ``-3``... ``reserved`` names are never produced."""
    taken = {r.casefold() for r in reserved}
    files = []
    for name in names:
        stem = re.sub(r"[^\w.-]", "_", name)[:80].lstrip(".") or "submission"
        file, n = f"{stem}{suffix}", 2
        while file.casefold() in taken:
            file, n = f"{stem}-{n}{suffix}", n + 1
        taken.add(file.casefold())
        files.append(file)
    return files
