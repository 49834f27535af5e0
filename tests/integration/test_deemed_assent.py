"""Assent deemed given by the sweep (Article 116(3)): a bill the assembly passed again and
presented to the governor is deemed assented once ten calendar days have passed without
assent; not a moment before, and only once. On both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from db import workflow
from db.sweep import SweepReport
from states.calendar import end_of_day, local_day
from states.catalogue import Catalogue

LAW_OFFICER = "law.officer.punjab@example.org"
LAW_SECRETARY = "law.secretary.punjab@example.org"
CHIEF_SECRETARY = "cs.punjab@example.org"

TO_REPRESENTATION: list[tuple[str, str, dict[str, str], str | None]] = [
    ("send_for_vetting", LAW_OFFICER, {}, None),
    ("vet", LAW_SECRETARY, {}, None),
    ("approve_in_cabinet", CHIEF_SECRETARY, {"cabinet_decision": "CAB-2026-41"}, None),
    (
        "introduce",
        CHIEF_SECRETARY,
        {"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-06-15"},
        None,
    ),
    ("pass", LAW_OFFICER, {"passed_on": "2026-06-15"}, None),
    ("send_for_assent", LAW_OFFICER, {}, None),
    ("return_by_governor", LAW_SECRETARY, {}, "The governor asks that clause 4 be reconsidered"),
    ("pass_again", LAW_OFFICER, {"passed_again_on": "2026-06-15"}, None),
]


def _presented_again(advance: Callable[..., workflow.Advanced]) -> None:
    for action, actor, fields, comment in TO_REPRESENTATION:
        advance("CMB-PUNJAB", action, actor, fields=fields, comment=comment)


def test_assent_is_deemed_given_once_ten_calendar_days_have_passed(
    loaded: Catalogue,
    advance: Callable[..., workflow.Advanced],
    sweep: Callable[..., SweepReport],
    stored: Callable[..., dict[str, Any]],
    sessions: sessionmaker[Session],
) -> None:
    _presented_again(advance)
    presented = stored("CMB-PUNJAB")
    assert presented["stage"] == "governor_assent_again"
    day = local_day(presented["stage_entered_at"])
    events = len(presented["history"])

    # Nine days on, and through the whole tenth day, the governor may still assent.
    for moment in (end_of_day(day + timedelta(days=9)), end_of_day(day + timedelta(days=10))):
        report = sweep(moment - timedelta(minutes=1))
        assert report.acted_at_time_limit == []
        assert stored("CMB-PUNJAB")["stage"] == "governor_assent_again"
    assert len(stored("CMB-PUNJAB")["history"]) == events

    # The tenth day over: the system records that assent is deemed given.
    after = end_of_day(day + timedelta(days=10)) + timedelta(minutes=1)
    report = sweep(after)
    assert report.acted_at_time_limit == ["CMB-PUNJAB"]
    assert report.as_dict()["acted_at_time_limit"] == ["CMB-PUNJAB"]
    deemed = stored("CMB-PUNJAB")
    assert (deemed["stage"], deemed["status"]) == ("assent_deemed", "open")
    last = deemed["history"][-1]
    assert (last["kind"], last["action"], last["actor"], last["role"]) == (
        "transition",
        "deem_assent",
        "system",
        "system",
    )
    assert (last["from"], last["to"]) == ("governor_assent_again", "assent_deemed")
    assert "Article 116(3)" in last["comment"]
    assert "10 calendar days" in last["comment"]
    assert f"ended on {day + timedelta(days=10):%-d %B %Y}" in last["comment"]

    # A second sweep finds nothing more to do.
    again = sweep(after + timedelta(hours=1))
    assert again.acted_at_time_limit == []
    assert len(stored("CMB-PUNJAB")["history"]) == len(deemed["history"])

    # The gazette notification is then recorded as after an assent given.
    advance(
        "CMB-PUNJAB",
        "notify_in_gazette",
        LAW_OFFICER,
        fields={"act_number": "Act XIV of 2026", "gazette_notification": "PJG-2026-991"},
    )
    assert stored("CMB-PUNJAB")["status"] == "completed"


def test_the_first_presentation_is_never_deemed_assented(
    loaded: Catalogue,
    advance: Callable[..., workflow.Advanced],
    sweep: Callable[..., SweepReport],
    stored: Callable[..., dict[str, Any]],
) -> None:
    for action, actor, fields, comment in TO_REPRESENTATION[:6]:
        advance("CMB-PUNJAB", action, actor, fields=fields, comment=comment)
    presented = stored("CMB-PUNJAB")
    assert presented["stage"] == "governor_assent"
    day = local_day(presented["stage_entered_at"])

    report = sweep(end_of_day(day + timedelta(days=12)))
    assert report.acted_at_time_limit == []
    assert stored("CMB-PUNJAB")["stage"] == "governor_assent"
