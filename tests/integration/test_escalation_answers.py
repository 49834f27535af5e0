"""Answering escalations on a real database: acknowledge, snooze, exempt, and reading them back.

The Provincial Commissions on the Status of Women (CSW-*) of the bundled meeting are
due as 23 June 2026 ends; a sweep on 24 June reaches their officers (level 1), one on
29 June their secretaries (level 2).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db import escalations, queries, workflow
from db.engine import transaction
from db.sweep import SweepReport
from states.catalogue import Catalogue
from states.errors import NotFoundError, RoleNotAllowedError, TransitionError

Sweep = Callable[..., SweepReport]
Stored = Callable[..., dict[str, Any]]
Escalations = Callable[..., list[dict[str, Any]]]

OFFICER = "women.officer.punjab@example.org"
SECRETARY = "women.secretary.punjab@example.org"
CHIEF_SECRETARY = "cs.punjab@example.org"
CHAIR = "chair@example.org"
REMINDED = datetime(2026, 6, 16, 5, 0, tzinfo=UTC)
FIRST_OVERDUE_DAY = datetime(2026, 6, 24, 5, 0, tzinfo=UTC)
SECOND_OVERDUE_DAY = datetime(2026, 6, 29, 5, 0, tzinfo=UTC)
ANSWERED = datetime(2026, 6, 29, 7, 30, tzinfo=UTC)


def acknowledge(sessions: sessionmaker[Session], key: str, actor: str, *, now: datetime) -> int:
    with transaction(sessions) as session:
        return escalations.acknowledge(
            session, key=key, actor_email=actor, reason="summary sent to the CM", now=now
        )


def test_acknowledging_covers_every_rung_of_the_current_stall(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    stored: Stored,
    escalations_stored: Escalations,
) -> None:
    sweep(REMINDED)
    sweep(SECOND_OVERDUE_DAY)
    version = stored("CSW-PUNJAB")["version"]

    covered = acknowledge(sessions, "CSW-PUNJAB", SECRETARY, now=ANSWERED)

    assert covered == 2
    rows = escalations_stored("CSW-PUNJAB")
    assert [(r["level"], r["acknowledged_at"], r["acknowledged_by"]) for r in rows] == [
        (0, None, None),  # the reminder asked nothing of anyone
        (1, ANSWERED, SECRETARY),
        (2, ANSWERED, SECRETARY),
    ]
    commitment = stored("CSW-PUNJAB")
    assert commitment["history"][-1] == {
        "seq": 2,
        "kind": "acknowledged",
        "at": ANSWERED,
        "actor": SECRETARY,
        "role": "secretary",
        "action": "acknowledged",
        "from": "nominations_invited",
        "to": "nominations_invited",
        "fields": {},
        "comment": "summary sent to the CM",
    }
    assert (commitment["stage"], commitment["version"]) == ("nominations_invited", version)
    # Other commissions' escalations are theirs to answer.
    assert all(r["acknowledged_at"] is None for r in escalations_stored("CSW-SINDH"))
    with sessions() as session:
        assert queries.inconsistent_keys(session) == []


def test_a_rung_reached_after_an_acknowledgement_needs_its_own(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    escalations_stored: Escalations,
) -> None:
    sweep(SECOND_OVERDUE_DAY)
    acknowledge(sessions, "CSW-PUNJAB", SECRETARY, now=ANSWERED)
    with pytest.raises(NotFoundError, match="no unacknowledged escalation"):
        acknowledge(sessions, "CSW-PUNJAB", SECRETARY, now=ANSWERED)

    sweep(datetime(2026, 7, 2, 5, 0, tzinfo=UTC))  # the chief secretary's rung
    later = datetime(2026, 7, 2, 6, 0, tzinfo=UTC)

    assert acknowledge(sessions, "CSW-PUNJAB", CHIEF_SECRETARY, now=later) == 1
    assert [(r["level"], r["acknowledged_by"]) for r in escalations_stored("CSW-PUNJAB")] == [
        (1, SECRETARY),
        (2, SECRETARY),
        (3, CHIEF_SECRETARY),
    ]


def test_acknowledging_with_nothing_escalated_is_refused_and_records_nothing(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session], stored: Stored
) -> None:
    sweep(REMINDED)  # only a reminder so far
    before = stored("CSW-PUNJAB")

    with pytest.raises(NotFoundError) as refused:
        acknowledge(sessions, "CSW-PUNJAB", SECRETARY, now=ANSWERED)

    assert refused.value.exit_code == 4
    assert "CSW-PUNJAB has no unacknowledged escalation" in refused.value.message
    assert "(nominations_invited)" in refused.value.message
    assert stored("CSW-PUNJAB") == before


def test_an_officer_cannot_acknowledge_their_own_stall(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    stored: Stored,
    escalations_stored: Escalations,
) -> None:
    sweep(FIRST_OVERDUE_DAY)
    before = stored("CSW-PUNJAB")

    with pytest.raises(RoleNotAllowedError):
        acknowledge(sessions, "CSW-PUNJAB", OFFICER, now=ANSWERED)

    assert stored("CSW-PUNJAB") == before
    assert escalations_stored("CSW-PUNJAB")[0]["acknowledged_at"] is None


def test_a_snooze_is_stored_and_recorded_and_ends_when_the_stage_changes(
    loaded: Catalogue, sessions: sessionmaker[Session], stored: Stored
) -> None:
    before = stored("CSW-PUNJAB")
    snoozed_at = datetime(2026, 6, 23, 5, 0, tzinfo=UTC)

    with transaction(sessions) as session:
        snoozed = escalations.snooze(
            session,
            loaded,
            key="CSW-PUNJAB",
            actor_email=SECRETARY,
            until=date(2026, 6, 28),
            reason="advertisement closes on the 27th",
            now=snoozed_at,
            today=date(2026, 6, 23),
        )
        assert snoozed.snoozed_until == date(2026, 6, 28)

    after = stored("CSW-PUNJAB")
    assert after["version"] == before["version"] + 1
    assert after["history"][-1] == {
        "seq": 2,
        "kind": "snoozed",
        "at": snoozed_at,
        "actor": SECRETARY,
        "role": "secretary",
        "action": "snoozed",
        "from": "nominations_invited",
        "to": "nominations_invited",
        "fields": {"until": "2026-06-28"},
        "comment": "advertisement closes on the 27th",
    }
    with sessions() as session:
        assert queries.get_commitment(session, "CSW-PUNJAB").snoozed_until == date(2026, 6, 28)

    with transaction(sessions) as session:
        workflow.advance(
            session,
            loaded,
            key="CSW-PUNJAB",
            action="shortlist",
            actor_email=OFFICER,
            fields={"shortlist_size": "9"},
            now=datetime(2026, 6, 24, 6, 0, tzinfo=UTC),
        )

    with sessions() as session:
        moved = queries.get_commitment(session, "CSW-PUNJAB")
        assert (moved.stage, moved.snoozed_until) == ("shortlisted", None)
        assert queries.inconsistent_keys(session) == []


def test_a_snooze_beyond_the_pipelines_limit_is_refused_and_changes_nothing(
    loaded: Catalogue, sessions: sessionmaker[Session], stored: Stored
) -> None:
    before = stored("CSW-PUNJAB")

    with pytest.raises(TransitionError, match="no later than 28 June 2026"):
        with transaction(sessions) as session:
            escalations.snooze(
                session,
                loaded,
                key="CSW-PUNJAB",
                actor_email=SECRETARY,
                until=date(2026, 6, 29),
                reason="waiting for the cabinet",
                now=datetime(2026, 6, 23, 5, 0, tzinfo=UTC),
                today=date(2026, 6, 23),
            )

    assert stored("CSW-PUNJAB") == before


def test_the_chair_exempts_a_commitment_and_a_chief_secretary_cannot(
    loaded: Catalogue, sessions: sessionmaker[Session], stored: Stored
) -> None:
    before = stored("CSW-PUNJAB")
    with pytest.raises(RoleNotAllowedError, match="only the chair may exempt"):
        with transaction(sessions) as session:
            escalations.exempt(
                session, key="CSW-PUNJAB", actor_email=CHIEF_SECRETARY, reason="x", now=ANSWERED
            )
    assert stored("CSW-PUNJAB") == before

    with transaction(sessions) as session:
        escalations.exempt(
            session,
            key="CSW-PUNJAB",
            actor_email=CHAIR,
            reason="the commission is being reconstituted by statute",
            now=ANSWERED,
        )

    with sessions() as session:
        assert queries.get_commitment(session, "CSW-PUNJAB").exempt is True
    after = stored("CSW-PUNJAB")
    assert after["history"][-1]["kind"] == "exempted"
    assert (after["history"][-1]["actor"], after["history"][-1]["role"]) == (CHAIR, "chair")
    assert after["history"][-1]["comment"] == "the commission is being reconstituted by statute"
    assert (after["stage"], after["status"]) == ("nominations_invited", "open")


def test_escalations_are_listed_newest_first_and_by_commitment(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    sweep(REMINDED)
    sweep(FIRST_OVERDUE_DAY)
    sweep(SECOND_OVERDUE_DAY)

    with sessions() as session:
        one = [
            (key, e.level, e.created_at)
            for e, key in escalations.list_escalations(session, "csw-punjab")
        ]
        everything = escalations.list_escalations(session)
        with pytest.raises(NotFoundError):
            escalations.list_escalations(session, "CSW-NOWHERE")

    assert one == [
        ("CSW-PUNJAB", 2, SECOND_OVERDUE_DAY),
        ("CSW-PUNJAB", 1, FIRST_OVERDUE_DAY),
        ("CSW-PUNJAB", 0, REMINDED),
    ]
    moments = [e.created_at for e, _ in everything]
    assert moments == sorted(moments, reverse=True)
    assert {key for _, key in everything} >= {"CSW-PUNJAB", "CSW-SINDH", "CSW-KP"}
    # Within one sweep, commitments in key order and each one's highest rung first.
    newest = [(key, e.level) for e, key in everything if e.created_at == SECOND_OVERDUE_DAY]
    assert newest == sorted(newest, key=lambda pair: (pair[0], -pair[1]))
