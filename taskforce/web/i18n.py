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
from datetime import date
from enum import Enum
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from notifications import formatting
from states.actors import Role
from states.localtext import LocalText
from states.message import Kind, Listing, Message, Named, Said, Term

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


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a text with a count for extraction; `tn(singular, plural, n)` says it where shown."""
    return singular, plural


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

    def translate(text: str, **values: object) -> str:
        # gettext("") is the catalog's header, never a translation.
        translated = catalog.gettext(text) if text else text
        return _filled(translated, language, values)

    return translate


def plural_translator(language: str) -> Callable[..., str]:
    """`tn("{n} day", "{n} days", n)`: the language's form for the count `n`, filled like `t`.

    English says the singular for 1 and the plural otherwise; the catalog holds each
    language's own forms (its Plural-Forms header says which form a count takes).
    """
    catalog = translations(language)

    def translate(singular: str, plural: str, n: int, **values: object) -> str:
        return _filled(catalog.ngettext(singular, plural, n), language, {"n": n, **values})

    return translate


def _filled(translated: str, language: str, values: dict[str, object]) -> str:
    if not values:
        return translated
    # A title given in both languages goes into the sentence in the sentence's language.
    values = {
        name: value.in_(language).marked if isinstance(value, LocalText) else value
        for name, value in values.items()
    }
    if language in RIGHT_TO_LEFT:
        values = {name: isolated(value) for name, value in values.items()}
    return translated.format(**values)


def say(text: str, language: str) -> str:
    """An engine message in `language`: a `Message`'s template translated, then filled.

    The values are said in the same language: a title (LocalText, or a `Term`'s title) in
    the language, marked where untranslated; a nested message translated in turn; a role,
    a place, a department and a day in the language's words. Text that is not a Message
    (nobody marked it) is returned as it is.
    """
    if language not in LANGUAGES or language == "en" or not isinstance(text, Said):
        return str(text)
    said = _value(text, language, isolate=False)
    return str(said)


def _value(value: object, language: str, *, isolate: bool) -> object:
    """One value of a message, ready to be put into the translated sentence."""
    if isinstance(value, Message):
        translated = translations(language).gettext(value.template)
        values = {
            name: _value(part, language, isolate=language in RIGHT_TO_LEFT)
            for name, part in value.params.items()
        }
        try:
            return translated.format(**values)
        except (KeyError, IndexError, ValueError):
            # A translation naming a placeholder the English lacks must not hide the error.
            return str(value)
    if isinstance(value, Listing):
        separator = _SEPARATORS.get(language, {}).get(value.separator, value.separator)
        return separator.join(str(_value(item, language, isolate=isolate)) for item in value.items)
    if isinstance(value, Named):
        if value.kind is Kind.PLACE:
            value = formatting.jurisdiction(value.key, language)
        else:
            value = formatting.department(value.key, language)
    elif isinstance(value, Term):
        value = value.local.in_(language).marked
    elif isinstance(value, LocalText):
        value = value.in_(language).marked
    elif isinstance(value, Role):
        return formatting.role(value.value, language)
    elif isinstance(value, Enum):
        return translations(language).gettext(str(value.value))
    elif isinstance(value, date):
        return _Day(value, language)
    if isolate and _LATIN_RUN.search(str(value)):
        return _Isolated(value)
    return value


# How a list is punctuated in the language.
_SEPARATORS = {"ur": {", ": "، ", "; ": "؛ "}}


class _Day:
    """A day put into a translated sentence: in the language's words, whatever the format."""

    def __init__(self, value: date, language: str) -> None:
        self.value, self.language = value, language

    def __format__(self, spec: str) -> str:
        return formatting.day(self.value, self.language)


class _Isolated:
    """A value kept in its own order inside right-to-left text, however it is formatted."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return f"{_ISOLATE}{self.value}{_END_ISOLATE}"

    def __repr__(self) -> str:
        return f"{_ISOLATE}{self.value!r}{_END_ISOLATE}"

    def __format__(self, spec: str) -> str:
        return f"{_ISOLATE}{format(self.value, spec)}{_END_ISOLATE}"


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
