"""Keeping the message catalogs in step with the code (Babel's extraction and update).

``python -m grader.messages`` extracts every marked string from the files ``babel.cfg`` names (the keywords of
:mod:`grader.i18n`: ``_``, ``N_``, ``ngettext``), merges the result into each language's PO
file (new messages added, unused ones dropped, translations kept), fills the English catalog
with the English text, and lists what a translator still has to do. ``--check`` changes
nothing and exits 1 when a catalog is out of step: the test suite runs the same check.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from grader.i18n import DEFAULT, DOMAIN, LANGUAGES, catalog_path

ROOT = Path(__file__).parent.parent
MAPPING = ROOT / "babel.cfg"  # which files hold messages, shared with ``pybabel extract -F babel.cfg``
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}")


def extract() -> Catalog:
    """The template: every message marked in the files :data:`MAPPING` names."""
    with open(MAPPING, encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project=DOMAIN, domain=DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map=method_map, options_map=options_map, keywords=DEFAULT_KEYWORDS,
            comment_tags=("Translators:",)):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(language: str) -> Catalog:
    """The PO catalog of ``language`` as it is on disk (empty when there is none yet)."""
    path = catalog_path(language)
    if not path.exists():
        return Catalog(locale=LANGUAGES[language], project=DOMAIN, domain=DOMAIN)
    with open(path, "rb") as po:
        return read_po(po, locale=LANGUAGES[language], domain=DOMAIN)


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders of a message, sorted (a translation must keep them all)."""
    return sorted(PLACEHOLDER.findall(text))


def _strings(message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple) else (message.id,)


def _translations(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def problems(language: str, template: Catalog | None = None) -> list[str]:
    """What is wrong with ``language``'s catalog: messages the code uses that it lacks, messages
    it has that the code no longer uses, and untranslated, fuzzy or placeholder-breaking
    translations. Empty when the catalog is complete."""
    template = template or extract()
    catalog = read_catalog(language)
    used = {m.id for m in template if m.id}
    held = {m.id for m in catalog if m.id}
    found = [f"{language}: missing {_strings_text(i)}" for i in sorted(used - held, key=str)]
    found += [f"{language}: unused {_strings_text(i)}" for i in sorted(held - used, key=str)]
    for message in catalog:
        if not message.id or message.id not in used:
            continue
        strings = _translations(message)
        if not all(strings):
            found.append(f"{language}: untranslated {_strings_text(message.id)}")
        elif message.fuzzy:
            found.append(f"{language}: fuzzy (to review) {_strings_text(message.id)}")
        elif any(placeholders(s) != placeholders(_strings(message)[0]) for s in strings):
            found.append(f"{language}: placeholders differ in {_strings_text(message.id)}")
    return found


def _strings_text(message_id) -> str:
    text = message_id[0] if isinstance(message_id, tuple) else message_id
    return repr(text if len(text) <= 80 else text[:77] + "...")


def update(template: Catalog) -> None:
    """Merge ``template`` into every language's catalog and write them; English is filled with
    the English text."""
    for language in LANGUAGES:
        catalog = read_catalog(language)
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)  # update() adopts its messages
        catalog.obsolete.clear()
        if language == DEFAULT:
            for message in catalog:
                if message.id:
                    message.string = message.id
        write_catalog(language, catalog)


def write_catalog(language: str, catalog: Catalog) -> None:
    """Replace ``language``'s PO file with ``catalog`` (atomically: a reader never sees half)."""
    path = catalog_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".po.partial")
    with open(partial, "wb") as po:
        write_po(po, catalog, no_location=True, omit_header=False, sort_output=True, width=100)
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.messages", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a catalog is out of step")
    args = parser.parse_args(argv)
    template = extract()
    if not args.check:
        update(template)
    found = [p for language in LANGUAGES for p in problems(language, template)]
    for line in found:
        print(line)
    print(f"{len(template)} messages; {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
