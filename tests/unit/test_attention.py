"""The rules behind "Needs you": the rung actually reached, what counts as handled, the order,
whom a nudge reminds, and a date of something done that lies in the future."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from states import attention, rules
from states.actors import Actor, Role
from states.attention import Handling, Rung
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import FieldError, RoleNotAllowedError
from states.rules import CommitmentState, EventKind, Status, TransitionRequest
from states.waiting import Holder

TODAY = date(2026, 7, 27)
NOW = datetime(2026, 7, 27, 6, 0, tzinfo=UTC)
CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES])


def test_the_level_is_the_highest_rung_escalated_and_reminders_are_no_rung() -> None:
    assert attention.level_reached([]) is None
    assert attention.level_reached([0]) is None
    assert attention.level_reached([1, 3, 2, 0]) == 3


def test_handled_means_exempt_snoozed_through_today_or_every_rung_acknowledged() -> None:
    seen = datetime(2026, 7, 26, 5, 0, tzinfo=UTC)
    acknowledged = [Rung(1, acknowledged_at=seen, acknowledged_by="a@x.org")]
    assert attention.handled(exempt=True, snoozed_until=None, rungs=[], today=TODAY) == (
        attention.Handled(Handling.EXEMPT)
    )
    snoozed = attention.handled(exempt=False, snoozed_until=TODAY, rungs=[], today=TODAY)
    assert snoozed is not None and snoozed.how is Handling.SNOOZED and snoozed.on == TODAY
    assert (
        attention.handled(exempt=False, snoozed_until=date(2026, 7, 26), rungs=[], today=TODAY)
        is None
    )
    answer = attention.handled(exempt=False, snoozed_until=None, rungs=acknowledged, today=TODAY)
    assert answer == attention.Handled(Handling.ACKNOWLEDGED, by="a@x.org", on=date(2026, 7, 26))
    # A rung escalated after the acknowledgement is not handled yet.
    later = [*acknowledged, Rung(2)]
    assert attention.handled(exempt=False, snoozed_until=None, rungs=later, today=TODAY) is None
    # Nothing escalated: nothing to acknowledge, so not handled.
    assert attention.handled(exempt=False, snoozed_until=None, rungs=[Rung(0)], today=TODAY) is None


def test_the_order_is_the_level_reached_then_the_days_overdue_then_the_key() -> None:
    rows = [("B", 2, 30), ("A", 4, 1), ("C", None, 50), ("D", 4, 9)]
    ordered = sorted(rows, key=lambda r: attention.urgency(r[1], r[2], r[0]))
    assert [key for key, _, _ in ordered] == ["D", "A", "B", "C"]


def holder(email: str, role: Role = Role.OFFICER) -> Holder:
    return Holder(email=email, name=email, role=role, jurisdiction="punjab", department="law")


def test_a_nudge_reminds_the_items_own_officer_first_else_the_most_expected() -> None:
    found = (holder("other@x.org"), holder("own@x.org"))
    assert attention.must_act(found, "OWN@x.org") == found[1]
    assert attention.must_act(found, None) == found[0]
    assert attention.must_act((), "own@x.org") is None


def bill() -> CommitmentState:
    return CommitmentState(
        key="CMB-PUNJAB",
        pipeline="provincial_bill",
        pipeline_version=CATALOGUE.get("provincial_bill").version,
        jurisdiction="punjab",
        stage="introduced",
        status=Status.OPEN,
        stage_entered_at=datetime(2026, 7, 1, tzinfo=UTC),
        department="law",
    )


def test_only_someone_above_the_item_nudges() -> None:
    chair = Actor(email="chair@x.org", role=Role.CHAIR, jurisdiction="federal")
    event = attention.nudge(bill(), chair, holder("own@x.org"), now=NOW)
    assert event.kind is EventKind.NUDGED and event.fields == {"to": "own@x.org"}
    officer = Actor(email="o@x.org", role=Role.OFFICER, jurisdiction="punjab", department="law")
    with pytest.raises(RoleNotAllowedError):
        attention.nudge(bill(), officer, holder("own@x.org"), now=NOW)


def test_a_past_date_field_refuses_the_future_and_names_the_field() -> None:
    pipeline = CATALOGUE.get("provincial_bill")
    officer = Actor(email="o@x.org", role=Role.OFFICER, jurisdiction="punjab", department="law")
    request = TransitionRequest("pass", officer, {"passed_on": "2026-07-28"})
    with pytest.raises(FieldError) as caught:
        rules.apply(pipeline, bill(), request, now=NOW)
    assert caught.value.fields == ("passed_on",)
    assert "passed_on can't be in the future" in caught.value.message
    moved = rules.apply(
        pipeline, bill(), TransitionRequest("pass", officer, {"passed_on": "2026-07-27"}), now=NOW
    )
    assert moved.state.stage == "passed"


def test_terminal_and_confirm_moves_are_checked_and_withdrawing_ends_otherwise() -> None:
    pipeline = CATALOGUE.get("provincial_bill")
    move = {t.action: t for t in pipeline.transitions}
    assert pipeline.needs_check(move["withdraw"]) and pipeline.ends_otherwise(move["withdraw"])
    assert pipeline.needs_check(move["pass"]) and not pipeline.ends_otherwise(move["pass"])
    assert pipeline.needs_check(move["notify_in_gazette"])
    assert not pipeline.needs_check(move["send_for_vetting"])


def test_a_visit_within_a_minute_of_the_last_is_the_same_visit() -> None:
    last = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
    assert attention.same_visit(last, now=last + timedelta(seconds=59))
    assert not attention.same_visit(last, now=last + timedelta(minutes=1))
    assert not attention.same_visit(None, now=last)
    # A clock set back is not taken for a reload.
    assert not attention.same_visit(last, now=last - timedelta(seconds=1))
