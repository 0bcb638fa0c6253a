"""The language students read, and the translation of every student-facing string.

Strings are written in English in the code and marked for extraction by Babel
(``pybabel extract``, see ``babel.cfg`` and ``scripts/messages``):

* ``_("...")`` translates now, into the current language;
* ``N_("...")`` marks a string kept in a record (a hint, a title, a mistake's name) that is
  translated where it is shown: ``_(task.hint)``;
* ``ngettext(singular, plural, n)`` for words that follow a number.

Placeholders are named and filled after translation, so a translator can move them:
``_("expected shape {expected}, got {got}").format(expected=..., got=...)``.

The catalogs are gettext PO files, ``grader/locale/<language>/LC_MESSAGES/convgrade.po``, one
per entry of :data:`LANGUAGES`; English is complete too (every msgstr filled), so a catalog
test can demand that both hold exactly the messages the code uses.

The language is chosen once per process by :func:`set_language`: ``--lang``, else
``CONVGRADE_LANG``, else the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as
gettext reads them), else English. Processes that grade for a parent (judges) are told the
parent's language explicitly.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
from pathlib import Path

LANGUAGES = {"en": "en", "zh": "zh_CN"}
"""``--lang`` value -> the catalog's locale folder."""

DOMAIN = "convgrade"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"

_current = DEFAULT


class UnknownLanguage(ValueError):
    """A ``--lang`` or ``CONVGRADE_LANG`` value with no catalog."""


def catalog_path(language: str) -> Path:
    """The PO file of ``language`` (a key of :data:`LANGUAGES`)."""
    return LOCALE_DIR / LANGUAGES[language] / "LC_MESSAGES" / f"{DOMAIN}.po"


_PACK_CATALOGS: list[tuple[Path, str]] = []  # (locale folder, domain) of each pack that ships catalogs


def _compiled(path: Path, language: str, domain: str) -> gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with open(path, "rb") as po:
        catalog = read_po(po, locale=LANGUAGES[language])
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(fp=mo, domain=domain)


@functools.lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language``, read from its PO file once per process; a message
    it lacks is looked up in the catalogs of the exercise packs (:func:`add_catalogs`)."""
    main = _compiled(catalog_path(language), language, DOMAIN)
    for folder, domain in _PACK_CATALOGS:
        path = folder / LANGUAGES[language] / "LC_MESSAGES" / f"{domain}.po"
        if path.is_file():
            main.add_fallback(_compiled(path, language, domain))
    return main


def add_catalogs(folder: Path, domain: str) -> None:
    """Use an exercise pack's catalogs, ``folder/<locale>/LC_MESSAGES/<domain>.po``, for the
    messages of its records (where a language has none, they are shown in English)."""
    _PACK_CATALOGS.append((Path(folder), domain))
    translations.cache_clear()


def _from_locale() -> str:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            first = value.split(":")[0].split(".")[0].split("_")[0].lower()
            return first if first in LANGUAGES else DEFAULT
    return DEFAULT


def choose(option: str | None = None) -> str:
    """The language to use: ``option`` (``--lang``), else ``CONVGRADE_LANG``, else the locale.

    Raises :class:`UnknownLanguage` for an option or variable naming no catalog."""
    for value, where in ((option, "--lang"), (os.environ.get("CONVGRADE_LANG"), "CONVGRADE_LANG")):
        if value:
            if value not in LANGUAGES:
                raise UnknownLanguage(f"{where} {value!r}: choose from {', '.join(LANGUAGES)}")
            return value
    return _from_locale()


def set_language(language: str) -> None:
    """Make ``language`` (a key of :data:`LANGUAGES`) the one :func:`_` translates into."""
    global _current
    if language not in LANGUAGES:
        raise UnknownLanguage(f"no catalog for language {language!r}: choose from {', '.join(LANGUAGES)}")
    translations(language)  # fail now, not at the first message, if the catalog is unreadable
    _current = language


def current_language() -> str:
    """The language :func:`_` translates into."""
    return _current


def _(message: str) -> str:
    """``message`` (an English msgid) in the current language."""
    if not message:
        return message  # gettext("") would be the catalog's header
    return translations(_current).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` that goes with ``n``, in the current language."""
    return translations(_current).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for extraction; it is translated where shown, with :func:`_`."""
    return message
