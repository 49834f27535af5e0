"""Text written in English and, where someone has translated it, in Urdu.

Titles of pipelines, stages, actions, fields and commitments are shown to
people who read Urdu. A file may give a title as a plain string (English, as
files always did) or as `{en: ..., ur: ...}`; English is required so every
page and mail has something to show, and `in_("ur")` says when it had to fall
back to English, so a page can mark the untranslated text as such.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SerializationInfo,
    model_serializer,
)

from states.text import DESCRIPTION, PIPELINE_TITLE, TITLE, TextRule

ENGLISH = "en"
URDU = "ur"
LANGUAGES = (ENGLISH, URDU)
# Said after English text shown on an Urdu page, because nobody has translated it yet.
FALLBACK_MARKER = {URDU: "(انگریزی میں)"}
# Serialization context that leaves translations out, for a checksum of the meaning alone.
WITHOUT_TRANSLATIONS = "without_translations"


@dataclass(frozen=True)
class Shown:
    """Text as shown in one language: `fallback` when it is English standing in for it."""

    text: str
    language: str
    fallback: bool = False

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        """Escaped HTML; untranslated text carries lang="en" and a visible marker."""
        # Jinja calls this for `{{ title }}` in an autoescaped template (HTML pages and mail).
        text = html.escape(self.text)
        if not self.fallback:
            return text
        marker = html.escape(FALLBACK_MARKER.get(self.language, ""))
        return (
            f'<span lang="en" dir="ltr" class="untranslated">{text}</span>'
            f' <small class="untranslated-marker">{marker}</small>'
        )

    @property
    def marked(self) -> str:
        """Plain text with the marker, for mail and documents that cannot hold markup."""
        if not self.fallback:
            return self.text
        return f"{self.text} {FALLBACK_MARKER.get(self.language, '')}".rstrip()


class LocalText(BaseModel):
    """A title in English and, if translated, in Urdu."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str
    ur: str | None = None

    def in_(self, language: str) -> Shown:
        """The text in `language`: Urdu when translated, else English marked as a fallback."""
        if language == URDU:
            if self.ur:
                return Shown(self.ur, URDU)
            return Shown(self.en, URDU, fallback=True)
        return Shown(self.en, ENGLISH)

    def __str__(self) -> str:
        return self.en

    @model_serializer(mode="plain")
    def _plain_when_english_only(self, info: SerializationInfo) -> str | dict[str, str]:
        # An untranslated title is written as files always wrote it, a plain string, so a
        # definition registered before translations existed keeps its canonical form.
        context = info.context or {}
        if self.ur is None or context.get(WITHOUT_TRANSLATIONS):
            return self.en
        return {ENGLISH: self.en, URDU: self.ur}


def shown(value: object, language: str, *, markup: bool) -> object:
    """`value` as a template prints it: a LocalText in `language`, anything else unchanged.

    With `markup` the result prints untranslated text marked up (`Shown.__html__`);
    without, as plain text followed by the marker.
    """
    if not isinstance(value, LocalText):
        return value
    text = value.in_(language if language in LANGUAGES else ENGLISH)
    return text if markup else text.marked


def local(en: str, ur: str | None = None) -> LocalText:
    """A LocalText from its parts, e.g. a commitment's stored title columns."""
    return LocalText(en=en, ur=ur or None)


def _coerce(value: Any) -> Any:
    if isinstance(value, LocalText):
        return value
    if isinstance(value, str):
        return {ENGLISH: value}
    if not isinstance(value, dict):
        raise ValueError(
            "a title is a string (English) or a mapping of languages, e.g."
            " {en: Child marriage bill, ur: کم عمری کی شادی کی روک تھام کا بل}"
        )
    unknown = [str(key) for key in value if key not in LANGUAGES]
    if unknown:
        raise ValueError(
            f"unknown language {', '.join(unknown)}; a title may be given in"
            f" {' and '.join(LANGUAGES)} ({ENGLISH} required)"
        )
    if not isinstance(value.get(ENGLISH), str) or not value[ENGLISH].strip():
        raise ValueError(f"the English title ({ENGLISH}:) is missing; every title needs one")
    if URDU in value and value[URDU] is not None and not isinstance(value[URDU], str):
        raise ValueError(f"the Urdu title ({URDU}:) must be text")
    return value


def _rule(rule: TextRule) -> Any:
    def check(value: LocalText) -> LocalText:
        for language, text in ((ENGLISH, value.en), (URDU, value.ur)):
            if text is None:
                continue
            # English alone is what a plain string always was: its messages stay as they were.
            said = "" if language == ENGLISH else "the Urdu (ur:) text "
            if not text.strip():
                raise ValueError(f"{said or 'the text '}is empty")
            problem = rule.problem(text)
            if problem:
                raise ValueError(f"{said}{problem}")
        return value

    return check


# A stored value: a plain string (English, as stored before translations) or `{en, ur}`.
Bilingual = Annotated[LocalText, BeforeValidator(_coerce)]
# Pydantic types: a plain string (English) or `{en, ur}`, each language checked by its rule.
PipelineTitle = Annotated[
    LocalText, BeforeValidator(_coerce), AfterValidator(_rule(PIPELINE_TITLE))
]
CommitmentTitle = Annotated[LocalText, BeforeValidator(_coerce), AfterValidator(_rule(TITLE))]
HelpText = Annotated[LocalText, BeforeValidator(_coerce), AfterValidator(_rule(DESCRIPTION))]
