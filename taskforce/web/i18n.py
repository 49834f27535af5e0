"""The interface in English or Urdu through a gettext catalog: the English text is the msgid.

Templates and page modules call `t("English text", **values)`; `make messages` extracts
those calls (and texts marked `N_` where they are defined but translated where shown)
into locales/messages.pot and merges them into locales/ur/LC_MESSAGES/messages.po,
which translators open in Poedit or Weblate.

The `.po` file is read with Babel when a language is first used and compiled in memory,
rather than shipped as a compiled `.mo`: the file a translator edits is the one the
server reads, so no build step can leave a stale binary behind, and nothing generated
lives in git or the wheel. Reading ~300 entries once per process costs milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from states.localtext import LocalText

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("en", "ur")
RIGHT_TO_LEFT = frozenset({"ur"})
# A value that would be reordered inside right-to-left text: Latin letters (keys such as
# CSW-SINDH, names, addresses), or digits with punctuation (2026-08-03, 10:00, 1,250).
_LATIN_RUN = re.compile(r"[A-Za-z]|\d[-:/.,@+]+\d")
# Unicode's first-strong isolate and its closing mark: <bdi> as characters, so the
# isolation also holds in attributes, SVG text and `<title>`, where markup cannot go.
_ISOLATE, _END_ISOLATE = "\u2068", "\u2069"


def N_(text: str) -> str:
    """Marks `text` for extraction where it is defined; `t(...)` translates it where shown."""
    return text


def catalog_path(language: str) -> Path:
    """The language's `.po` file, where gettext tools expect it."""
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The language's catalog; English (the msgids themselves) needs none.

    Fuzzy and untranslated entries are left out, so they show in English.
    """
    if language not in LANGUAGES or language == "en":
        return NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translator(language: str) -> Callable[..., str]:
    """`t("Sign in")`, or `t("{n} overdue", n=3)`: falls back to English where not translated."""
    catalog = translations(language)
    isolate = language in RIGHT_TO_LEFT

    def translate(text: str, **values: object) -> str:
        # gettext("") is the catalog's header, never a translation.
        translated = catalog.gettext(text) if text else text
        if not values:
            return translated
        # A title given in both languages goes into the sentence in the sentence's language.
        values = {
            name: value.in_(language).marked if isinstance(value, LocalText) else value
            for name, value in values.items()
        }
        if isolate:
            values = {name: isolated(value) for name, value in values.items()}
        return translated.format(**values)

    return translate


def isolated(value: object) -> object:
    """`value` kept in its own order inside right-to-left text, if it has a Latin run.

    "6 July 2026 10:00 کا خلاصہ" would otherwise show as "July 2026 10:00 6 ...".
    """
    text = str(value)
    if not _LATIN_RUN.search(text):
        return value
    return f"{_ISOLATE}{text}{_END_ISOLATE}"


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"
