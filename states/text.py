"""What text the engine stores: how long each kind may be and which characters it may hold.

One rule for every database and every way in (meeting files, the command line,
the pages, the API): PostgreSQL refuses NUL and values longer than a column,
SQLite takes both, and a name with a line break cannot head a mail. The limits
here are the columns' sizes too (`db/models.py` imports them), so the rule and
the table cannot drift apart.

Single-line text (names, titles, departments, keys, field values) may hold no
control character at all; multi-line text (comments, reasons, descriptions) may
hold tabs and line breaks. Neither may hold a lone surrogate, which no database
can store as UTF-8.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, Field

from states.message import Message

KEY_MAX = 64
EMAIL_MAX = 254
NAME_MAX = 200
TITLE_MAX = 300
PIPELINE_TITLE_MAX = 200
JURISDICTION_MAX = 100
DEPARTMENT_MAX = 100
AGENDA_ITEM_MAX = 50
COMMENT_MAX = 4000
FIELD_VALUE_MAX = 1000
DESCRIPTION_MAX = 4000
SEARCH_MAX = 100  # what a search box takes: a key, a few words of a title, a name, a reference

# The shapes of keys: a pipeline, stage, action or field key, and a commitment key.
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
COMMITMENT_KEY_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators, written as
# regular-expression escapes that Python, JSON Schema and pydantic all read alike.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
# The same, but tab, line feed and carriage return (a browser sends CR LF) are text.
_CONTROLS_BUT_LINE_BREAKS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
_SURROGATES = r"\ud800-\udfff"
_NOT_SINGLE_LINE = re.compile(f"[{_CONTROLS}{_SURROGATES}]")
_NOT_MULTI_LINE = re.compile(f"[{_CONTROLS_BUT_LINE_BREAKS}{_SURROGATES}]")
# For documents such as OpenAPI: one line of text, no control character.
SINGLE_LINE_PATTERN = f"^[^{_CONTROLS}]*$"


def _describe_character(character: str) -> str:
    code = f"U+{ord(character):04X}"
    if "\ud800" <= character <= "\udfff":
        return Message("a lone surrogate ({code})", code=code)
    name = unicodedata.name(character, "")
    return Message(
        "a control character ({code}{name})", code=code, name=f", {name.lower()}" if name else ""
    )


@dataclass(frozen=True)
class TextRule:
    """How long one kind of text may be, and whether it may span lines."""

    limit: int
    multiline: bool = False

    def problem(self, value: str) -> str | None:
        """Why `value` cannot be stored, or None; never repeats the value itself."""
        if len(value) > self.limit:
            return Message(
                "is {length} characters; the limit is {limit}", length=len(value), limit=self.limit
            )
        found = (_NOT_MULTI_LINE if self.multiline else _NOT_SINGLE_LINE).search(value)
        if found:
            character, where = _describe_character(found.group()), found.start() + 1
            if self.multiline:
                return Message(
                    "contains {character} at character {where}; write it as plain text",
                    character=character,
                    where=where,
                )
            return Message(
                "contains {character} at character {where}; write it as plain text on one line",
                character=character,
                where=where,
            )
        return None

    def validate(self, value: str) -> str:
        """`value` unchanged, or ValueError with the problem (for pydantic validators)."""
        problem = self.problem(value)
        if problem:
            raise ValueError(problem)
        return value


KEY = TextRule(KEY_MAX)
EMAIL = TextRule(EMAIL_MAX)
NAME = TextRule(NAME_MAX)
TITLE = TextRule(TITLE_MAX)
PIPELINE_TITLE = TextRule(PIPELINE_TITLE_MAX)
JURISDICTION = TextRule(JURISDICTION_MAX)
DEPARTMENT = TextRule(DEPARTMENT_MAX)
AGENDA_ITEM = TextRule(AGENDA_ITEM_MAX)
FIELD_VALUE = TextRule(FIELD_VALUE_MAX)
COMMENT = TextRule(COMMENT_MAX, multiline=True)
DESCRIPTION = TextRule(DESCRIPTION_MAX, multiline=True)
SEARCH = TextRule(SEARCH_MAX)

# Pydantic types for files and requests; min_length=1 where a value must say something.
Name = Annotated[str, Field(min_length=1), AfterValidator(NAME.validate)]
Title = Annotated[str, Field(min_length=1), AfterValidator(TITLE.validate)]
Department = Annotated[str, Field(min_length=1), AfterValidator(DEPARTMENT.validate)]
AgendaItem = Annotated[str, AfterValidator(AGENDA_ITEM.validate)]
FieldValue = Annotated[str, AfterValidator(FIELD_VALUE.validate)]
Comment = Annotated[str, AfterValidator(COMMENT.validate)]
Description = Annotated[str, AfterValidator(DESCRIPTION.validate)]


def search_words(value: str) -> str | None:
    """What to search for: `value` with its spaces collapsed, None when empty.

    ValueError when it cannot be searched for (too long, a control character).
    """
    words = " ".join(SEARCH.validate(value).split())
    return words or None


def preview(value: str, limit: int = 60) -> str:
    """`value` quoted for a message: control characters escaped, long values cut short."""
    if len(value) <= limit:
        return ascii_safe(repr(value))
    return ascii_safe(repr(value[:limit])) + f"... ({len(value)} characters)"


def ascii_safe(text: str) -> str:
    """`text` with lone surrogates escaped, so it can always be encoded as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
