"""The digest's pure parts: the chart, grouping, comparing, the context.

No database: items are made here, and the mail templates are rendered from them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from db.digest import (
    Changes,
    Completed,
    DigestContent,
    DigestItem,
    compare,
    count_by_department,
    count_by_province,
    group_items,
    scope_problem,
    subject,
)
from notifications.chart import Bar, bar_chart_text, bar_rows
from notifications.digest import commitment_link, digest_context
from notifications.render import Renderer

NOW = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)
BEFORE = NOW - timedelta(days=7)
BASE_URL = "https://taskforce.example.org/"


def item(key: str, **changes: Any) -> DigestItem:
    values: dict[str, Any] = {
        "key": key,
        "title": f"Title of {key}",
        "pipeline": "commission_appointment",
        "jurisdiction": "punjab",
        "province": "punjab",
        "department": "women_development",
        "stage": "nominations_invited",
        "stage_title": "Nominations invited",
        "episode": 1,
        "reason": "stage_limit",
        "due_at": datetime(2026, 6, 23, 19, 0, tzinfo=UTC),
        "overdue_days": 22,
        "level": 4,
        "notify": "chair",
        "escalated_level": 4,
        "officer_name": "Nadia Sarwar",
        "officer_email": "women.officer.punjab@example.org",
    }
    values.update(changes)
    if "jurisdiction" in changes and "province" not in changes:
        values["province"] = values["jurisdiction"].partition("/")[0]
    return DigestItem(**values)


def content(
    items: list[DigestItem],
    *,
    exempt: tuple[DigestItem, ...] = (),
    changes: Changes | None = None,
    completed: tuple[Completed, ...] = (),
    scope: str = "federal",
) -> DigestContent:
    return DigestContent(
        scope=scope,
        made_at=NOW,
        previous_at=changes.previous_at if changes else None,
        completed_since=changes.previous_at if changes else BEFORE,
        stalled=len(items),
        snoozed=sum(1 for i in items if i.snoozed_until),
        groups=group_items(items),
        exempt=exempt,
        changes=changes,
        completed=completed,
        overdue_by_province=count_by_province([*items, *exempt]),
        stalled_by_department=count_by_department(items),
    )


# -- the chart ----------------------------------------------------------------------------------


BARS = [Bar("Federal", 4), Bar("Punjab", 8), Bar('<Sindh & "co">', 2), Bar("Islamabad", 0)]


def test_bar_lengths_are_shares_of_the_longest_bar() -> None:
    rows = bar_rows(BARS)

    assert [(r.label, r.count, r.percent) for r in rows] == [
        ("Federal", 4, 50),
        ("Punjab", 8, 100),
        ('<Sindh & "co">', 2, 25),
        ("Islamabad", 0, 0),
    ]
    assert all(r.percent + r.rest == 100 for r in rows)


def test_a_count_too_small_to_see_still_gets_a_sliver() -> None:
    assert [r.percent for r in bar_rows([Bar("a", 1000), Bar("b", 1)])] == [100, 1]


def test_an_empty_chart_has_no_rows() -> None:
    assert bar_rows([]) == []


def test_the_text_chart_draws_proportional_bars_of_marks() -> None:
    lines = bar_chart_text([Bar("Federal", 4), Bar("Punjab", 8), Bar("Sindh", 0)], width=20)

    assert lines == [
        "Federal  ########## 4",
        "Punjab   #################### 8",
        "Sindh     0",
    ]


# -- grouping and comparing --------------------------------------------------------------------


def test_items_are_grouped_federal_first_then_by_province_and_department() -> None:
    items = [
        item("CSW-SINDH", jurisdiction="sindh"),
        item("CMB-PUNJAB", department="law", overdue_days=14),
        item("DHRC-PUNJAB-LAHORE", jurisdiction="punjab/lahore", department="human_rights"),
        item("CSW-PUNJAB", overdue_days=22),
        item("OLDER-PUNJAB", overdue_days=30),
        item("NAP-HR-07", jurisdiction="federal", department="police"),
    ]

    groups = group_items(items)

    assert [(g.province, g.count) for g in groups] == [("federal", 1), ("punjab", 4), ("sindh", 1)]
    punjab = groups[1]
    assert [d.department for d in punjab.departments] == [
        "human_rights",
        "law",
        "women_development",
    ]
    # The most overdue first.
    assert [i.key for i in punjab.departments[2].items] == ["OLDER-PUNJAB", "CSW-PUNJAB"]
    assert count_by_province(items) == {"federal": 1, "punjab": 4, "sindh": 1}
    assert list(count_by_province(reversed(items))) == ["federal", "punjab", "sindh"]


def test_the_comparison_finds_new_resolved_and_worsened_stalls() -> None:
    before = [
        item("KEPT", level=2),
        item("CLIMBED", level=2),
        item("GONE", level=3, stage_title="Shortlisted"),
        item("MOVED-ON", episode=1, level=4),
        item("NO-RUNG-YET", level=None),
    ]
    now = [
        item("KEPT", level=2),
        item("CLIMBED", level=3),
        item("MOVED-ON", episode=2, level=1),  # stalled again, in its next stage
        item("NO-RUNG-YET", level=1),
        item("FRESH", level=1),
    ]

    changes = compare(now, before, previous_at=BEFORE)

    assert changes.previous_at == BEFORE
    assert changes.new == ("FRESH", "MOVED-ON")
    assert [(r.key, r.stage_title.en, r.level) for r in changes.resolved] == [
        ("GONE", "Shortlisted", 3),
        ("MOVED-ON", "Nominations invited", 4),
    ]
    assert [(w.key, w.before, w.after) for w in changes.worsened] == [
        ("CLIMBED", 2, 3),
        ("NO-RUNG-YET", None, 1),
    ]


def test_nothing_changed_compares_to_nothing() -> None:
    same = [item("A"), item("B", level=3)]

    changes = compare(same, same, previous_at=BEFORE)

    assert (changes.new, changes.resolved, changes.worsened) == ((), (), ())


def test_a_digest_scope_is_federal_or_a_province() -> None:
    assert scope_problem("federal") is None
    assert scope_problem("punjab") is None
    assert "unknown digest scope 'punjab/lahore'" in (scope_problem("punjab/lahore") or "")
    assert scope_problem("Punjab") is not None


def test_the_content_survives_a_round_trip_through_json() -> None:
    original = content(
        [item("CSW-PUNJAB", snoozed_until=date(2026, 7, 30))],
        exempt=(item("CSW-BALOCHISTAN", jurisdiction="balochistan", exempt=True),),
        changes=compare([item("CSW-PUNJAB")], [item("GONE")], previous_at=BEFORE),
    )

    again = DigestContent.model_validate(original.model_dump(mode="json"))

    assert again == original
    assert [i.key for i in again.overdue()] == ["CSW-PUNJAB", "CSW-BALOCHISTAN"]
    assert subject(again) == "Stalled commitments: 1 as of 27 July 2026"
    assert subject(again.model_copy(update={"scope": "khyber_pakhtunkhwa"})).startswith(
        "Stalled commitments (Khyber Pakhtunkhwa): 1"
    )


# -- what the templates get, and what they make of it ------------------------------------------


def changed_digest() -> DigestContent:
    before = [item("CSW-PUNJAB", level=3), item("GONE", jurisdiction="sindh", level=2)]
    now = [
        item("CSW-PUNJAB", level=4),
        item(
            "NEW-ONE",
            jurisdiction="punjab/lahore",
            department="human_rights",
            level=1,
            acknowledged_by="cs.punjab@example.org",
            acknowledged_at=NOW - timedelta(days=1),
        ),
        item("HELD", department="law", snoozed_until=date(2026, 7, 30)),
    ]
    changes = compare(now, before, previous_at=BEFORE)
    resolved = tuple(
        r.model_copy(update={"status": "completed", "now_stage_title": "Members in office"})
        for r in changes.resolved
    )
    return content(
        now,
        exempt=(item("EXEMPTED", jurisdiction="balochistan", exempt=True),),
        changes=changes.model_copy(update={"resolved": resolved}),
        completed=(
            Completed(
                key="GONE",
                title="Title of GONE",
                jurisdiction="sindh",
                province="sindh",
                department="women_development",
                pipeline_title="Commission appointment",
                closed_at=NOW - timedelta(days=2),
            ),
        ),
    )


def test_the_context_links_every_item_and_marks_what_changed() -> None:
    context = digest_context(
        changed_digest(), base_url=BASE_URL, recipient_name="Nasreen Akhtar", language="en"
    )

    punjab = context["provinces"][0]
    rows = {i.key: i for d in punjab.departments for i in d.items}
    assert rows["CSW-PUNJAB"].link == "https://taskforce.example.org/commitments/CSW-PUNJAB"
    assert rows["CSW-PUNJAB"].worsened_from == 3 and not rows["CSW-PUNJAB"].new
    assert rows["NEW-ONE"].new and rows["NEW-ONE"].worsened_from is None
    assert [i.key for i in context["changes"].new] == ["HELD", "NEW-ONE"]
    assert [w.item.key for w in context["changes"].worsened] == ["CSW-PUNJAB"]
    assert [r.key for r in context["changes"].resolved] == ["GONE"]
    assert [i.key for i in context["exempt"]] == ["EXEMPTED"]
    assert [r.label for r in context["chart_rows"]] == ["Punjab", "Balochistan"]
    assert context["digest"].overdue == 4
    assert commitment_link("https://x.org", "A/B C") == "https://x.org/commitments/A%2FB%20C"


def test_a_long_department_is_cut_to_its_most_overdue_items() -> None:
    many = [item(f"K-{n:03}", overdue_days=n) for n in range(120)]

    context = digest_context(
        content(many),
        base_url=BASE_URL,
        recipient_name="x",
        language="en",
        max_items_per_department=50,
    )

    department = context["provinces"][0].departments[0]
    assert (department.count, len(department.items), department.not_shown) == (120, 50, 70)
    assert department.items[0].key == "K-119"


def test_long_lists_of_changes_are_cut_to_the_most_overdue_and_counted() -> None:
    before = [item(f"OLD-{n:03}") for n in range(60)]
    now = [item(f"K-{n:03}", overdue_days=n) for n in range(80)]
    digest = content(now, changes=compare(now, before, previous_at=BEFORE))

    context = digest_context(
        digest, base_url=BASE_URL, recipient_name="x", language="en", max_changes_listed=10
    )
    rendered = Renderer().render("digest", "en", {**context})

    changes = context["changes"]
    assert (changes.new_count, len(changes.new)) == (80, 10)
    assert [i.key for i in changes.new[:2]] == ["K-079", "K-078"]
    assert (changes.resolved_count, len(changes.resolved)) == (60, 10)
    assert "Newly stalled (80)" in rendered.text and "… and 70 more." in rendered.text
    assert "Resolved (60)" in rendered.text and "… and 50 more." in rendered.text
    assert "… and 70 more." in rendered.html


class _Parsed(HTMLParser):
    """Checks that tags open and close in order (the void elements aside)."""

    VOID = frozenset({"br", "meta", "img", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [v or "" for k, v in attrs if k == "href"]
        if tag not in self.VOID and tag not in {"rect"}:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()


def digest_context_chart_title(language: str) -> str:
    return "Overdue items by province" if language == "en" else "صوبہ وار زیر التوا معاملات"


@pytest.mark.parametrize("language", ["en", "ur"])
def test_the_digest_renders_in_both_languages_with_its_chart(language: str) -> None:
    digest = changed_digest()
    hostile = item("CSW-SINDH", jurisdiction="sindh", title="<script>alert(1)</script> & co")
    digest = content(
        [*digest.items(), hostile],
        exempt=digest.exempt,
        changes=digest.changes,
        completed=digest.completed,
    )

    rendered = Renderer().render(
        "digest",
        language,
        digest_context(
            digest,
            base_url=BASE_URL,
            recipient_name="Nasreen Akhtar",
            recipient_email="chair@example.org",
            language=language,
        ),
    )

    parsed = _Parsed()
    parsed.feed(rendered.html)
    assert parsed.open == []
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    # Gmail and Outlook drop inline SVG: the chart is table cells with widths and colours.
    assert "<svg" not in rendered.html
    chart = rendered.html[rendered.html.index(digest_context_chart_title(language)) :]
    assert 'bgcolor="#b4342d"' in chart
    for key in ("CSW-PUNJAB", "NEW-ONE", "HELD", "EXEMPTED", "GONE", "CSW-SINDH"):
        assert f"https://taskforce.example.org/commitments/{key}" in parsed.links
        assert f"https://taskforce.example.org/commitments/{key}" in rendered.text
    assert "#" * 30 in rendered.text  # the text chart's longest bar
    assert "\n" not in rendered.subject
    if language == "ur":
        assert 'dir="rtl"' in rendered.html
        assert "پنجاب" in chart and "رکے ہوئے" in rendered.subject
        assert "\u200f" in rendered.text  # lines of Latin text are held right to left
    else:
        assert "Punjab" in chart
        assert rendered.subject.startswith("4 stalled commitments as of 27 July 2026")
        assert "Newly stalled (2)" in rendered.text and "Worsened (1)" in rendered.text
        assert "snoozed through 30 July 2026" in rendered.text
        assert "acknowledged by cs.punjab@example.org" in rendered.text


@pytest.mark.parametrize("language", ["en", "ur"])
def test_the_first_digest_says_changes_come_next_time(language: str) -> None:
    rendered = Renderer().render(
        "digest",
        language,
        digest_context(content([]), base_url=BASE_URL, recipient_name="x", language=language),
    )

    first = "first digest" if language == "en" else "پہلا خلاصہ"
    assert first in rendered.text and first in rendered.html
    assert "<svg" not in rendered.html


def test_the_digest_opens_with_the_three_items_most_in_need_of_its_reader() -> None:
    items = [
        item("LONG-AT-2", escalated_level=2, overdue_days=90),
        item("TOP-AT-4", escalated_level=4, overdue_days=10),
        item("NEXT-AT-4", escalated_level=4, overdue_days=5),
        # Computed at level 4 from its days, but no mail has gone out: it is not "level 4".
        item("NEVER-SENT", level=4, escalated_level=None, overdue_days=200),
        item(
            "ANSWERED",
            escalated_level=4,
            overdue_days=80,
            acknowledged_by="cs@example.org",
            acknowledged_at=NOW,
        ),
        item("SNOOZED", escalated_level=4, overdue_days=70, snoozed_until=date(2026, 8, 1)),
    ]

    context = digest_context(content(items), base_url=BASE_URL, recipient_name="x", language="en")
    rendered = Renderer().render("digest", "en", context)

    assert [i.key for i in context["most_urgent"]] == ["TOP-AT-4", "NEXT-AT-4", "LONG-AT-2"]
    html = rendered.html
    opening = html.index("Most in need of your attention")
    assert opening < html.index("Since the last digest") < html.index("Stalled, worst first")
    assert html.index("TOP-AT-4") > opening
    assert "not escalated yet" in html  # NEVER-SENT shows the level actually reached: none
    text = rendered.text
    assert text.index("MOST IN NEED OF YOUR ATTENTION") < text.index("SINCE THE LAST DIGEST")


def test_provinces_and_departments_come_worst_first() -> None:
    items = [
        item("PUNJAB-MILD", jurisdiction="punjab", escalated_level=1, overdue_days=3),
        item("SINDH-BAD", jurisdiction="sindh", escalated_level=3, overdue_days=20),
        item("SINDH-LAW", jurisdiction="sindh", department="law", escalated_level=4),
    ]

    context = digest_context(content(items), base_url=BASE_URL, recipient_name="x", language="en")

    assert [p.province for p in context["provinces"]] == ["sindh", "punjab"]
    assert [d.department for d in context["provinces"][0].departments] == [
        "law",
        "women_development",
    ]


@pytest.mark.parametrize("language", ["en", "ur"])
def test_no_item_is_laid_out_in_table_columns_that_collide_on_a_phone(language: str) -> None:
    items = [item(f"K-{n}", overdue_days=n) for n in range(5)]

    html = (
        Renderer()
        .render(
            "digest",
            language,
            digest_context(
                content(items), base_url=BASE_URL, recipient_name="x", language=language
            ),
        )
        .html
    )

    # The only tables left are the chart's, of label, bar and count.
    assert "<th" not in html
    assert html.count("<table") == 1 + len(
        digest_context(content(items), base_url=BASE_URL, recipient_name="x", language=language)[
            "chart_rows"
        ]
    )


@pytest.mark.parametrize("language", ["en", "ur"])
def test_the_digest_names_items_and_stages_in_the_readers_language(language: str) -> None:
    titled = item(
        "CSW-PUNJAB",
        title={"en": "Appoint the Punjab commission", "ur": "پنجاب کمیشن برائے وقارِ نسواں"},
        stage_title={"en": "Nominations invited", "ur": "نامزدگیاں طلب"},
    )
    untranslated = item(
        "CSW-SINDH",
        jurisdiction="sindh",
        title="Appoint the Sindh commission",
        stage_title=titled.stage_title,
    )

    rendered = Renderer().render(
        "digest",
        language,
        digest_context(
            content([titled, untranslated]),
            base_url=BASE_URL,
            recipient_name="x",
            language=language,
        ),
    )

    for part in (rendered.text, rendered.html):
        if language == "ur":
            assert "پنجاب کمیشن برائے وقارِ نسواں" in part and "نامزدگیاں طلب" in part
            assert "Appoint the Punjab commission" not in part
            assert "Nominations invited" not in part
            # Without Urdu, the English title is shown, marked as English.
            assert "Appoint the Sindh commission" in part and "(انگریزی میں)" in part
        else:
            assert "Appoint the Punjab commission" in part and "Nominations invited" in part
            assert "نامزدگیاں" not in part and "انگریزی" not in part
    if language == "ur":
        assert '<span lang="en" dir="ltr" class="untranslated">Appoint the Sindh' in rendered.html
