"""Engine messages that a page can say in the reader's language.

A message is written once, in English, as a template with named placeholders:
`Message("Can't {action} {key}: the comment {problem}", action=..., key=..., problem=...)`.
The value *is* the English text (a `str`), so the CLI, the API, logs and `str(error)`
read exactly what they always read; it also keeps its template and values, so the
web can look the template up in its gettext catalog and fill the placeholders after
translating (`taskforce/web/i18n.py`, `say`). `make messages` extracts every
`Message("...")` in states/ and db/ into the catalog beside the pages' own texts.

A value may itself be a Message (a problem inside a refusal), a LocalText (a
title), a `Term` (a stage or action key the English names by its key, another
language by its title), a `Named` place or department, or a `Listing` of values:
each is said in the sentence's language. Pure: no Babel, no catalog here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from states.localtext import LocalText


class Said(str):
    """Text whose English is the `str` itself, with more kept beside it for other languages."""

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled (e.g. across processes) as the plain English it reads as.
        return (str, (str(self),))


class Message(Said):
    """English text that remembers the template and values it was made from."""

    template: str
    params: Mapping[str, object]

    def __new__(cls, template: str, /, **params: object) -> Message:
        english = template.format(**{name: _english(v) for name, v in params.items()})
        made = super().__new__(cls, english)
        made.template = template
        made.params = MappingProxyType(dict(params))
        return made


class Term(Said):
    """A key as the English message names it ('approve', 'drafting'), with its title for
    the other languages."""

    local: LocalText

    def __new__(cls, key: str, title: LocalText) -> Term:
        made = super().__new__(cls, key)
        made.local = title
        return made


class Kind(StrEnum):
    """What a `Named` value names, so a page can look up its name in the language."""

    PLACE = "place"
    DEPARTMENT = "department"


class Named(Said):
    """A place or a department, as the English message says it, with the key it names."""

    key: str
    kind: Kind

    def __new__(cls, english: str, *, key: str, kind: Kind) -> Named:
        made = super().__new__(cls, english)
        made.key = key
        made.kind = kind
        return made


class Listing(Said):
    """Several values said one after another, English joining them with `separator`."""

    items: tuple[object, ...]
    separator: str

    def __new__(cls, items: Iterable[object], separator: str = ", ") -> Listing:
        kept = tuple(items)
        made = super().__new__(cls, separator.join(str(_english(item)) for item in kept))
        made.items = kept
        made.separator = separator
        return made


def place(jurisdiction: str) -> Named:
    """A jurisdiction ('punjab/lahore') as messages have always named it: by its key."""
    return Named(jurisdiction, key=jurisdiction, kind=Kind.PLACE)


def _english(value: object) -> object:
    # Imported here: states.text makes messages, and states.localtext is built on states.text.
    from states.localtext import LocalText

    if isinstance(value, LocalText):
        return value.en
    return value
