"""Jinja filters the pages share: dates, times and durations written as the mail writes them.

Each filter writes in the page's language, so an Urdu page gets CLDR's Urdu month names
("12 جون، 2026") from the same helpers as Urdu mail. The language is the template's
`language`, or else the page being rendered (`page_language`): macros imported without
context do not see the page's variables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from notifications import formatting
from taskforce.web import i18n

_PAGE_LANGUAGE: ContextVar[str] = ContextVar("page_language", default=formatting.ENGLISH)


def install(env: Environment) -> None:
    env.filters["local"] = _local
    env.filters["day"] = _day
    env.filters["day_ending"] = _day_ending
    env.filters["duration"] = _duration
    env.filters["number"] = _number
    env.filters["role"] = _role
    env.filters["jurisdiction"] = _jurisdiction
    env.filters["department"] = _department
    # A global, so macros imported without context count in the page's language too.
    env.globals["tn"] = _plural


@contextmanager
def page_language(language: str) -> Iterator[None]:
    """While a page in `language` is rendered, the filters write in it."""
    token = _PAGE_LANGUAGE.set(language)
    try:
        yield
    finally:
        _PAGE_LANGUAGE.reset(token)


@pass_context
def _plural(context: Context, singular: str, plural: str, n: int, **values: object) -> str:
    """`tn("{n} day", "{n} days", n)`: the form the page's language gives the count `n`."""
    return i18n.plural_translator(_language(context))(singular, plural, n, **values)


def _language(context: Context) -> str:
    language = context.get("language") or _PAGE_LANGUAGE.get()
    return language if language in formatting.LANGUAGES else formatting.ENGLISH


@pass_context
def _local(context: Context, value: datetime | None) -> str:
    """'12 June 2026, 14:05': an instant in Pakistan time."""
    return formatting.day_and_time(value, _language(context)) if value else ""


@pass_context
def _day(context: Context, value: date | datetime | None) -> str:
    """A day; an instant is shown with its time, as before."""
    if isinstance(value, datetime):
        return formatting.day_and_time(value, _language(context))
    return formatting.day(value, _language(context)) if value else ""


@pass_context
def _day_ending(context: Context, value: datetime | None) -> str:
    return formatting.day_ending(value, _language(context)) if value else ""


@pass_context
def _duration(context: Context, value: str | None) -> str:
    """'P6M' → '6 months' ('6 مہینے')."""
    return formatting.duration(value, _language(context)) if value else ""


@pass_context
def _number(context: Context, value: int | float | None) -> str:
    return formatting.number(value, _language(context)) if value is not None else ""


@pass_context
def _role(context: Context, value: str | None) -> str:
    """'chief_secretary' → 'chief secretary' ('چیف سیکرٹری'): a post by its name, never its key."""
    return formatting.role(str(value), _language(context)) if value else ""


@pass_context
def _jurisdiction(context: Context, value: str | None) -> str:
    """'punjab/lahore' → 'Lahore, Punjab' ('لاہور، پنجاب')."""
    return formatting.jurisdiction(value, _language(context)) if value else ""


@pass_context
def _department(context: Context, value: str | None) -> str:
    """'women_development' → 'Women Development' ('ترقی نسواں')."""
    return formatting.department(value, _language(context)) if value else ""
