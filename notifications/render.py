"""Rendering mail from templates: one subject, a plain-text part and an HTML part.

The templates live in `notifications/templates/LANGUAGE/`, three per kind of
message: `KIND.subject.j2` (one line), `KIND.txt.j2` and `KIND.html.j2`. HTML is
autoescaped, plain text and subjects are not; a variable the context lacks is
an error, never an empty gap in a letter to a chief secretary.

The dataclasses below are what `notifications.compose` puts in the context of
the reminder, escalation, acknowledged and snoozed messages; templates read
their attributes, so a misspelt name fails loudly in the tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    UndefinedError,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from notifications import formatting
from states import localtext
from states.errors import TaskforceError
from states.localtext import ENGLISH, LocalText

TEMPLATES = Path(__file__).parent / "templates"
PARTS = ("subject", "txt", "html")


class UnknownTemplateError(TaskforceError):
    """There is no mail template for that kind of message or language."""


class RenderError(TaskforceError):
    """A mail template could not be rendered with the context it was given."""


@dataclass(frozen=True)
class Rendered:
    """A message ready to be put in an envelope."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Contact:
    """Someone a message names: a recipient, the officer holding an item, who answered."""

    name: str
    email: str
    role: str | None = None


@dataclass(frozen=True)
class ActionView:
    """An action open from the item's current stage, and who may take it."""

    action: str
    title: LocalText
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ItemView:
    """The commitment a message is about, as the reader needs to see it."""

    key: str
    title: LocalText
    link: str
    pipeline_title: LocalText
    stage: str
    stage_title: LocalText
    stage_entered_at: datetime
    jurisdiction: str
    department: str
    officer: Contact | None
    deadline: date | None
    actions: tuple[ActionView, ...]
    open_children: tuple[str, ...] = ()
    # Who may take the next step now, most expected first (states.waiting).
    waiting_on: tuple[Contact, ...] = ()
    # Where it stands now, when it moved on after the message was caused (else None).
    moved_to: LocalText | None = None


@dataclass(frozen=True)
class Step:
    """One thing already tried in a stall episode: a message up the ladder, or an answer to it.

    `kind` is reminder, escalation, acknowledged or snoozed; `people` are a message's
    recipients, or the one person who answered.
    """

    kind: str
    at: datetime
    people: tuple[Contact, ...]
    level: int | None = None
    missing_role: str | None = None
    reason: str | None = None
    until: date | None = None


@dataclass(frozen=True)
class EscalationView:
    """One rung of the ladder (level 0: the reminder before due) and what led up to it."""

    level: int
    role: str
    reason: str
    due_at: datetime
    overdue_days: int
    raised_at: datetime
    missing_role: str | None = None
    tried: tuple[Step, ...] = ()


@dataclass(frozen=True)
class AnswerView:
    """An acknowledgement or a snooze, told to the people the stall concerns."""

    kind: str
    at: datetime
    by: Contact
    reason: str
    until: date | None = None
    escalations: int = 0


Formatter = Callable[..., str]


def _with_language(function: Formatter) -> Callable[..., str]:
    """A filter that writes in the language of the message being rendered."""

    @pass_context
    def apply(context: Context, value: Any) -> str:
        return function(value, context["language"])

    return apply


@pass_context
def _in_language(context: Context, value: Any) -> Any:
    """Every printed title in the message's language (`states.localtext`)."""
    return localtext.shown(
        value, context.get("language", ENGLISH), markup=context.eval_ctx.autoescape
    )


class Renderer:
    """The mail templates, loaded once; `render` is safe to call from many threads."""

    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._environment = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(
                enabled_extensions=("html", "html.j2"),
                disabled_extensions=("txt", "txt.j2", "subject.j2"),
                default_for_string=False,
                default=False,
            ),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=_in_language,
        )
        filters: dict[str, Formatter] = {
            "day": formatting.day,
            "moment": formatting.moment,
            "day_ending": formatting.day_ending,
            "working_days": formatting.working_days,
            "jurisdiction": formatting.jurisdiction,
            "role": formatting.role,
            "department": formatting.department,
        }
        for name, function in filters.items():
            self._environment.filters[name] = _with_language(function)
        self._available = self._discover()

    def _discover(self) -> dict[str, set[str]]:
        """Each kind with the languages that have all three of its templates."""
        found: dict[tuple[str, str], set[str]] = {}
        for name in self._environment.list_templates():
            language, _, file = name.partition("/")
            match = re.fullmatch(r"([a-z][a-z0-9_]*)\.(subject|txt|html)\.j2", file)
            if language in formatting.LANGUAGES and match:
                found.setdefault((match[1], language), set()).add(match[2])
        available: dict[str, set[str]] = {}
        for (kind, language), parts in found.items():
            if parts == set(PARTS):
                available.setdefault(kind, set()).add(language)
        return available

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of message there are templates for."""
        return tuple(sorted(self._available))

    def render(self, kind: str, language: str, context: Mapping[str, Any]) -> Rendered:
        """The subject (one line), text and HTML of a `kind` message in `language`."""
        if kind not in self._available:
            raise UnknownTemplateError(
                f"no mail template for {kind!r}; known kinds: {', '.join(self.kinds) or 'none'}"
            )
        if language not in self._available[kind]:
            allowed = ", ".join(sorted(self._available[kind]))
            raise UnknownTemplateError(
                f"no {kind} mail in language {language!r}; {kind} is written in {allowed}"
            )
        values = {**context, "language": language}
        subject = " ".join(self._part(kind, language, "subject", values).split())
        values["subject"] = subject
        text = _tidy(self._part(kind, language, "txt", values))
        html = self._part(kind, language, "html", values)
        return Rendered(subject=subject, text=text, html=html)

    def _part(self, kind: str, language: str, part: str, values: Mapping[str, Any]) -> str:
        name = f"{language}/{kind}.{part}.j2"
        try:
            return self._environment.get_template(name).render(values)
        except UndefinedError as error:
            raise RenderError(f"can't render {name}: {error.message}") from error
        except TemplateError as error:
            raise RenderError(f"can't render {name}: {error}") from error


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n"
