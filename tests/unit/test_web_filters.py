"""The pages' date filters write as the mail does, in the page's language (CLDR via Babel)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import DictLoader

from notifications import formatting
from taskforce.web.filters import page_language
from taskforce.web.render import environment

DAY = date(2026, 7, 6)
# 05:00 UTC is 10:00 in Pakistan.
MOMENT = datetime(2026, 7, 6, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "day", "local", "period"),
    [
        ("en", "6 July 2026", "6 July 2026, 10:00", "6 months"),
        ("ur", "6 جولائی، 2026", "6 جولائی، 2026 10:00", "6 مہینے"),
    ],
)
def test_a_page_writes_dates_in_its_language_as_mail_does(
    language: str, day: str, local: str, period: str
) -> None:
    page = environment().from_string("{{ d|day }}|{{ m|local }}|{{ m|day }}|{{ p|duration }}")
    shown = page.render(language=language, d=DAY, m=MOMENT, p="P6M")
    assert shown == f"{day}|{local}|{local}|{period}"
    assert day == formatting.day(DAY, language)


def test_a_page_without_a_language_writes_english() -> None:
    assert environment().from_string("{{ d|day }}").render(d=DAY) == "6 July 2026"


def test_a_macro_imported_without_context_writes_in_the_pages_language() -> None:
    env = environment()
    env.loader = DictLoader(
        {
            "m.j2": "{% macro when(d) %}{{ d|day }}{% endmacro %}",
            "page.j2": '{% import "m.j2" as m %}{{ m.when(d) }}',
        }
    )
    with page_language("ur"):
        assert env.get_template("page.j2").render(d=DAY) == "6 جولائی، 2026"
    assert env.get_template("page.j2").render(d=DAY) == "6 July 2026"
