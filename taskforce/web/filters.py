"""Jinja filters the pages share: times as people in Pakistan read them."""

from __future__ import annotations

from datetime import date, datetime

from jinja2 import Environment

from taskforce import views


def install(env: Environment) -> None:
    env.filters["local"] = views.local
    env.filters["day"] = _day
    env.filters["day_ending"] = views.day_ending


def _day(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return views.local(value)
    return views.day(value)
