"""Mail templates without a database: every kind in both languages, escaping, dates, tone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from notifications import formatting
from notifications.render import (
    ActionView,
    AnswerView,
    Contact,
    EscalationView,
    ItemView,
    Renderer,
    RenderError,
    Step,
    UnknownTemplateError,
)
from states.errors import TaskforceError

KINDS = ("reminder", "escalation", "acknowledged", "snoozed")
LANGUAGES = ("en", "ur")
LINK = "https://taskforce.example.org/commitments/CSW-BALOCHISTAN"

OFFICER = Contact("Gul Bano Lehri", "women.officer.balochistan@example.org", "officer")
SECRETARY = Contact("Zarina Mengal", "women.secretary.balochistan@example.org", "secretary")
CHIEF_SECRETARY = Contact("Abdul Hameed Rind", "cs.balochistan@example.org", "chief_secretary")
CHAIR = Contact("Nasreen Akhtar", "chair@example.org", "chair")

ITEM = ItemView(
    key="CSW-BALOCHISTAN",
    title="Appoint the members of the Balochistan Commission on the Status of Women",
    link=LINK,
    pipeline_title="Commission appointment",
    stage="nominations_invited",
    stage_title="Nominations invited",
    stage_entered_at=datetime(2026, 6, 12, 10, 0, tzinfo=UTC),
    jurisdiction="balochistan",
    department="women_development",
    officer=OFFICER,
    deadline=date(2026, 7, 12),
    actions=(
        ActionView("shortlist", "Record the shortlist", ("officer", "secretary")),
        ActionView("withdraw", "Withdraw the commitment", ("chair",)),
    ),
)
# Due as 23 June 2026 ends in Pakistan (19:00 UTC); the chair hears of it on 27 July.
DUE_AT = datetime(2026, 6, 23, 19, 0, tzinfo=UTC)
TRIED = (
    Step("reminder", datetime(2026, 6, 16, 5, 0, tzinfo=UTC), (OFFICER,), level=0),
    Step("escalation", datetime(2026, 6, 24, 5, 0, tzinfo=UTC), (OFFICER,), level=1),
    Step("escalation", datetime(2026, 6, 29, 5, 0, tzinfo=UTC), (SECRETARY,), level=2),
    Step(
        "acknowledged",
        datetime(2026, 6, 29, 7, 30, tzinfo=UTC),
        (SECRETARY,),
        reason="summary sent to the CM",
    ),
    Step(
        "snoozed",
        datetime(2026, 6, 30, 7, 30, tzinfo=UTC),
        (SECRETARY,),
        reason="cabinet meets on Thursday",
        until=date(2026, 7, 3),
    ),
    Step("escalation", datetime(2026, 7, 6, 5, 0, tzinfo=UTC), (CHIEF_SECRETARY,), level=3),
)


def escalation(level: int, **changes: Any) -> EscalationView:
    roles = {0: "officer", 1: "officer", 2: "secretary", 3: "chief_secretary"}
    view = EscalationView(
        level=level,
        role=roles.get(level, "chair"),
        reason="stage_limit",
        due_at=DUE_AT,
        overdue_days=0 if level == 0 else 22,
        raised_at=datetime(2026, 7, 27, 5, 0, tzinfo=UTC),
        tried=tuple(s for s in TRIED if (s.level or 0) < level or s.level is None),
    )
    return replace(view, **changes)


def context(kind: str, *, item: ItemView = ITEM, level: int = 4, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"item": item, "recipient": CHAIR}
    if kind == "reminder":
        values.update(recipient=OFFICER, escalation=escalation(0))
    elif kind == "escalation":
        values["escalation"] = escalation(level)
    else:
        values["answer"] = AnswerView(
            kind=kind,
            at=datetime(2026, 6, 29, 7, 30, tzinfo=UTC),
            by=SECRETARY,
            reason="summary sent to the CM",
            until=date(2026, 7, 3) if kind == "snoozed" else None,
            escalations=2,
        )
    values.update(extra)
    return values


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(renderer: Renderer, kind: str, language: str) -> None:
    rendered = renderer.render(kind, language, context(kind))

    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.subject == " ".join(rendered.subject.split())
    assert "CSW-BALOCHISTAN" in rendered.subject
    for part in (rendered.text, rendered.html):
        assert LINK in part  # every message leads to the item
        assert "Record the shortlist" in part  # and names what would move it
    assert rendered.text.endswith("\n") and "\n\n\n" not in rendered.text
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert "<script" not in rendered.html and "<style" not in rendered.html


@pytest.mark.parametrize("kind", KINDS)
def test_urdu_html_is_right_to_left_in_an_urdu_font(renderer: Renderer, kind: str) -> None:
    urdu = renderer.render(kind, "ur", context(kind))
    english = renderer.render(kind, "en", context(kind))

    assert '<html lang="ur" dir="rtl">' in urdu.html
    assert "Noto Nastaliq Urdu" in urdu.html and "text-align:right" in urdu.html
    assert "السلام علیکم" in urdu.text
    assert '<html lang="en" dir="ltr">' in english.html and 'dir="rtl"' not in english.html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_html_escapes_what_people_typed_and_the_text_shows_it_verbatim(
    renderer: Renderer, kind: str, language: str
) -> None:
    title = "Repeal <script>alert('x')</script> & amend"
    rendered = renderer.render(kind, language, context(kind, item=replace(ITEM, title=title)))

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; amend" in rendered.html
    assert title in rendered.text


def test_a_reason_and_a_name_are_escaped_too(renderer: Renderer) -> None:
    answer = AnswerView(
        kind="acknowledged",
        at=datetime(2026, 6, 29, 7, 30, tzinfo=UTC),
        by=Contact("Zarina <b>Mengal</b>", "z@example.org", "secretary"),
        reason="Budget & <i>cabinet</i>",
    )
    rendered = renderer.render("acknowledged", "en", context("acknowledged", answer=answer))

    assert "Budget &amp; &lt;i&gt;cabinet&lt;/i&gt;" in rendered.html
    assert "Zarina &lt;b&gt;Mengal&lt;/b&gt;" in rendered.html
    assert '"Budget & <i>cabinet</i>"' in rendered.text


def test_dates_are_written_as_people_read_them_in_pakistan(renderer: Renderer) -> None:
    rendered = renderer.render("reminder", "en", context("reminder"))
    urdu = renderer.render("reminder", "ur", context("reminder"))

    assert (
        rendered.subject == "Reminder: CSW-BALOCHISTAN (Nominations invited) is due on 23 June 2026"
    )
    assert "since 12 June 2026" in rendered.text and "Deadline:  12 July 2026" in rendered.text
    # CLDR's long Urdu date puts a comma (،) before the year.
    assert "23 جون، 2026" in urdu.subject and "12 جولائی، 2026" in urdu.text


def test_the_chairs_escalation_says_how_long_who_holds_it_and_what_was_tried(
    renderer: Renderer,
) -> None:
    rendered = renderer.render("escalation", "en", context("escalation", level=4))
    text = rendered.text

    assert rendered.subject.startswith("For the chair: CSW-BALOCHISTAN in Balochistan")
    assert "22 working days" in rendered.subject
    assert "For your attention as chair" in text
    # What is stuck, where, for how long and since when.
    assert "Nominations invited" in text and "Balochistan · Women Development" in text
    assert "22 working days past its due day (the end of 23 June 2026)" in text
    # Who holds it.
    assert "Officer:   Gul Bano Lehri <women.officer.balochistan@example.org> (officer)" in text
    # What was already tried, in order, with dates and recipients.
    tried = [line.strip() for line in text.splitlines() if line.startswith("  - ")][:6]
    assert tried == [
        "- 16 June 2026: reminder before the due day sent to Gul Bano Lehri"
        " <women.officer.balochistan@example.org> (officer)",
        "- 24 June 2026: level 1 sent to Gul Bano Lehri"
        " <women.officer.balochistan@example.org> (officer)",
        "- 29 June 2026: level 2 sent to Zarina Mengal"
        " <women.secretary.balochistan@example.org> (secretary)",
        "- 29 June 2026: acknowledged by Zarina Mengal"
        ' <women.secretary.balochistan@example.org> (secretary): "summary sent to the CM"',
        "- 30 June 2026: escalations held through 3 July 2026 by Zarina Mengal"
        ' <women.secretary.balochistan@example.org> (secretary): "cabinet meets on Thursday"',
        "- 6 July 2026: level 3 sent to Abdul Hameed Rind"
        " <cs.balochistan@example.org> (chief secretary)",
    ]
    assert "Gul Bano Lehri &lt;women.officer.balochistan@example.org&gt;" in rendered.html
    assert "background-color:#7f1d1d" in rendered.html  # the darkest banner


@pytest.mark.parametrize(
    ("level", "opening", "subject"),
    [
        (1, "A friendly reminder", "Reminder: "),
        (2, "As secretary, please see that it moves now", "Action needed: "),
        (3, "URGENT.", "Urgent: "),
        (4, "For your attention as chair", "For the chair: "),
        (5, "For your attention as chair", "For the chair: "),
    ],
)
def test_the_tone_rises_with_the_level(
    renderer: Renderer, level: int, opening: str, subject: str
) -> None:
    rendered = renderer.render("escalation", "en", context("escalation", level=level))

    assert opening in rendered.text
    assert rendered.subject.startswith(subject)


def test_the_first_message_says_nothing_was_tried_yet(renderer: Renderer) -> None:
    values = context("escalation", escalation=escalation(1, tried=(), overdue_days=0))
    rendered = renderer.render("escalation", "en", values)

    assert "Nothing has been tried yet" in rendered.text
    assert rendered.subject == "Reminder: CSW-BALOCHISTAN (Nominations invited) is now overdue"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_stand_in_is_told_whose_message_they_receive(renderer: Renderer, language: str) -> None:
    values = context("escalation", escalation=escalation(3, missing_role="chief_secretary"))
    rendered = renderer.render("escalation", language, values)

    wanted = {
        "en": "Nobody holds the post of chief secretary for this item, so this message comes"
        " to you in their place.",
        "ur": "اس معاملے میں چیف سیکرٹری کا عہدہ کسی کے پاس نہیں",
    }[language]
    assert wanted in rendered.text
    assert wanted.split(",")[0] in rendered.html


def test_a_message_about_an_item_that_moved_on_says_so(renderer: Renderer) -> None:
    moved = replace(ITEM, moved_to="Shortlisted")
    rendered = renderer.render("escalation", "en", context("escalation", item=moved))

    assert "it is now Shortlisted" in rendered.text


def test_unknown_kind_or_language_is_refused_naming_the_allowed_ones(renderer: Renderer) -> None:
    with pytest.raises(UnknownTemplateError) as kind:
        renderer.render("telegram", "en", context("escalation"))
    with pytest.raises(UnknownTemplateError) as language:
        renderer.render("escalation", "fr", context("escalation"))

    assert isinstance(kind.value, TaskforceError)
    assert "no mail template for 'telegram'" in kind.value.message
    assert all(k in kind.value.message for k in KINDS)
    assert language.value.message == (
        "no escalation mail in language 'fr'; escalation is written in en, ur"
    )
    assert set(KINDS) <= set(renderer.kinds)
    assert "base" not in renderer.kinds and "_macros" not in renderer.kinds


def test_a_context_missing_a_value_is_an_error_not_a_gap(renderer: Renderer) -> None:
    values = context("escalation")
    del values["recipient"]

    with pytest.raises(RenderError, match="recipient"):
        renderer.render("escalation", "en", values)


def test_a_subject_is_one_line_whatever_the_title(renderer: Renderer) -> None:
    item = replace(ITEM, stage_title="Nominations\n  invited\r\nBcc: someone@example.org")
    rendered = renderer.render("escalation", "en", context("escalation", item=item))

    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert "Nominations invited Bcc: someone@example.org" in rendered.subject


@pytest.mark.parametrize(
    ("period", "english", "urdu"),
    [
        ("P6M", "6 months", "6 مہینے"),
        ("P1M", "1 month", "1 مہینہ"),
        ("P10D", "10 days", "10 دن"),
        ("P14D", "2 weeks", "2 ہفتے"),
        ("P1Y2M", "1 year, 2 months", "1 سال، 2 مہینے"),
    ],
)
def test_periods_are_said_in_words_from_cldr(period: str, english: str, urdu: str) -> None:
    assert formatting.duration(period) == english
    assert formatting.duration(period, "ur") == urdu


def test_numbers_keep_western_digits_in_urdu() -> None:
    assert formatting.number(1250, "ur") == "1,250" == formatting.number(1250)
    assert formatting.working_days(1250, "ur") == "کام کے 1,250 دن"
    assert formatting.day(date(2026, 12, 31), "ur").startswith("31 ")


def test_formatting_dates_times_and_working_days() -> None:
    assert formatting.day(date(2026, 6, 12)) == "12 June 2026"
    assert formatting.day(date(2026, 6, 12), "ur") == "12 جون، 2026"
    assert [formatting.day(date(2026, m, 1), "ur").split()[1] for m in (1, 5, 7, 12)] == [
        month + "،"
        for month in (
            "جنوری",
            "مئی",
            "جولائی",
            "دسمبر",
        )
    ]
    # 20:30 UTC on 12 June is already 13 June in Pakistan.
    late = datetime(2026, 6, 12, 20, 30, tzinfo=UTC)
    assert formatting.day(late) == "13 June 2026"
    assert formatting.moment(late) == "13 June 2026, 01:30 (Pakistan Time)"
    assert formatting.moment(late, "ur") == "13 جون، 2026 01:30 (پاکستان وقت)"
    assert formatting.day_and_time(late) == "13 June 2026, 01:30"
    assert formatting.day_ending(DUE_AT) == "23 June 2026"
    assert formatting.working_days(1) == "1 working day"
    assert formatting.working_days(5) == "5 working days"
    assert formatting.working_days(1, "ur") == "کام کا 1 دن"
    assert formatting.working_days(5, "ur") == "کام کے 5 دن"
    assert formatting.jurisdiction("punjab/dera_ghazi_khan") == "Dera Ghazi Khan, Punjab"
    assert formatting.jurisdiction("khyber_pakhtunkhwa", "ur") == "خیبر پختونخوا"
    assert formatting.role("federal_secretary") == "federal secretary"
    assert formatting.department("women_development", "ur") == "ترقی نسواں"
    with pytest.raises(ValueError, match="no time zone"):
        formatting.moment(datetime(2026, 6, 12, 10, 0))
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        formatting.day(date(2026, 6, 12), "fr")
