"""People change and items change hands (db/handover.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import accounts, handover, people, queries, workflow
from db.engine import transaction
from db.models import OutboxMessage, Person, PersonChange
from db.sweep import SweepReport
from states.catalogue import Catalogue
from states.errors import AccessDeniedError, ConflictError, NotFoundError, RoleNotAllowedError

ADMIN = "admin@example.org"
HR_PUNJAB = "hr.officer.punjab@example.org"  # holds DHRC-PUNJAB and PTF-PUNJAB
LAW_PUNJAB = "law.officer.punjab@example.org"  # holds CMB-PUNJAB
WOMEN_PUNJAB = "women.officer.punjab@example.org"  # holds CSW-PUNJAB
HR_LAHORE = "hr.officer.lahore@example.org"
LONG_AFTER = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)  # CSW-PUNJAB 22 working days overdue

Stored = Callable[..., dict[str, Any]]


def holder_of(sessions: sessionmaker[Session], key: str) -> str | None:
    with sessions() as session:
        commitment = queries.get_commitment(session, key)
        return commitment.officer.email if commitment.officer else None


def test_a_handover_moves_every_open_item_with_one_event_each(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    stored: Stored,
    make_person: Callable[..., Person],
    activate_committee: Callable[..., workflow.Advanced],
    clock: Callable[[], datetime],
) -> None:
    make_person("hr.officer.punjab.new@example.org", department="human_rights")
    # A closed item stays with whoever held it: the record of who did the work.
    with transaction(sessions) as session:
        handover.reassign(
            session, key="DHRC-PUNJAB-LAHORE", to_email=HR_PUNJAB, actor_email=ADMIN, now=clock()
        )
    activate_committee("DHRC-PUNJAB-LAHORE", HR_PUNJAB)
    before = {key: stored(key) for key in ("DHRC-PUNJAB", "PTF-PUNJAB", "DHRC-PUNJAB-LAHORE")}
    assert before["DHRC-PUNJAB-LAHORE"]["status"] == "completed"

    # All or nothing: the Lahore officer could take neither Punjab item, so none moves.
    with pytest.raises(RoleNotAllowedError, match="acts for punjab/lahore") as refused:
        with transaction(sessions) as session:
            handover.handover(
                session, from_email=HR_PUNJAB, to_email=HR_LAHORE, actor_email=ADMIN, now=clock()
            )
    assert refused.value.exit_code == 3
    assert {key: stored(key) for key in before} == before

    with transaction(sessions) as session:
        moved = handover.handover(
            session,
            from_email=HR_PUNJAB,
            to_email="hr.officer.punjab.new@example.org",
            actor_email=ADMIN,
            reason="Transferred to Sindh",
            now=clock(),
        )

    assert [(m.key, m.from_email, m.to_email) for m in moved] == [
        ("DHRC-PUNJAB", HR_PUNJAB, "hr.officer.punjab.new@example.org"),
        ("PTF-PUNJAB", HR_PUNJAB, "hr.officer.punjab.new@example.org"),
    ]
    for key in ("DHRC-PUNJAB", "PTF-PUNJAB"):
        after = stored(key)
        assert after["version"] == before[key]["version"] + 1
        assert after["history"][:-1] == before[key]["history"]
        last = after["history"][-1]
        assert (last["kind"], last["actor"], last["role"]) == ("reassigned", ADMIN, "administrator")
        assert last["fields"] == {"from": HR_PUNJAB, "to": "hr.officer.punjab.new@example.org"}
        assert (last["from"], last["to"], last["comment"]) == (
            before[key]["stage"],
            before[key]["stage"],
            "Transferred to Sindh",
        )
        assert after["stage"] == before[key]["stage"]
        assert holder_of(sessions, key) == "hr.officer.punjab.new@example.org"
    assert stored("DHRC-PUNJAB-LAHORE") == before["DHRC-PUNJAB-LAHORE"]


def test_reassigning_checks_the_new_holder_and_bumps_the_version(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    stored: Stored,
    advance: Callable[..., workflow.Advanced],
    clock: Callable[[], datetime],
) -> None:
    before = stored("CMB-PUNJAB")
    seen = before["version"]
    with pytest.raises(RoleNotAllowedError, match="it belongs to punjab"):
        with transaction(sessions) as session:
            handover.reassign(
                session,
                key="CMB-PUNJAB",
                to_email="law.officer.sindh@example.org",
                actor_email=ADMIN,
                now=clock(),
            )
    assert stored("CMB-PUNJAB") == before
    with transaction(sessions) as session:
        done = handover.reassign(
            session,
            key="cmb-punjab",
            to_email="cs.punjab@example.org",
            actor_email="law.secretary.punjab@example.org",
            reason="The chief secretary's office takes it",
            now=clock(),
            expected_version=seen,
        )
    assert done.version == seen + 1
    with pytest.raises(ConflictError):
        advance("CMB-PUNJAB", "send_for_vetting", LAW_PUNJAB, expected_version=seen)
    # A second reassignment from the same stale view is refused too.
    with pytest.raises(ConflictError), transaction(sessions) as session:
        handover.reassign(
            session,
            key="CMB-PUNJAB",
            to_email=LAW_PUNJAB,
            actor_email=ADMIN,
            now=clock(),
            expected_version=seen,
        )
    assert holder_of(sessions, "CMB-PUNJAB") == "cs.punjab@example.org"


def test_people_are_added_changed_and_deactivated_with_a_record_of_who_did_it(
    sessions: sessionmaker[Session], loaded: Catalogue, clock: Callable[[], datetime]
) -> None:
    values = {
        "email": "Ayesha.Khan@example.org",
        "name": "Ayesha Khan",
        "role": "officer",
        "jurisdiction": "punjab",
        "department": "law",
        "language": "en",
    }
    with transaction(sessions) as session:
        handover.add_person(session, actor_email="chair@example.org", values=values, now=clock())
    with pytest.raises(handover.rules.PersonValueError, match="already listed"):
        with transaction(sessions) as session:
            handover.add_person(session, actor_email=ADMIN, values=values, now=clock())
    with pytest.raises(AccessDeniedError), transaction(sessions) as session:
        handover.add_person(
            session,
            actor_email=LAW_PUNJAB,
            values={**values, "email": "b@example.org"},
            now=clock(),
        )
    with transaction(sessions) as session:
        changed = handover.update_person(
            session,
            actor_email=ADMIN,
            email="ayesha.khan@example.org",
            changes={"language": "ur", "name": None},
            reason="Reads Urdu",
            now=clock(),
        )
    assert changed == {"language": ["en", "ur"]}
    with transaction(sessions) as session:
        done = handover.deactivate_person(
            session, actor_email=ADMIN, email=LAW_PUNJAB, reason="Retired", now=clock()
        )
        assert done.open_items == ("CMB-PUNJAB",)
    with sessions() as session:
        log = session.execute(
            select(PersonChange.kind, PersonChange.actor_email, PersonChange.reason).order_by(
                PersonChange.id
            )
        ).all()
        assert [tuple(row) for row in log] == [
            ("added", "chair@example.org", None),
            ("updated", ADMIN, "Reads Urdu"),
            ("deactivated", ADMIN, "Retired"),
        ]
        # Inactive: cannot act, and their items are listed as theirs until handed over.
        with pytest.raises(NotFoundError, match="no longer active"):
            people.by_email(session, LAW_PUNJAB)
        gone = handover.any_by_email(session, LAW_PUNJAB)
        assert handover.open_items(session)[gone.id] == ["CMB-PUNJAB"]


def test_a_deactivated_person_cannot_sign_in_and_their_waiting_mail_is_withdrawn(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    sweep: Callable[..., SweepReport],
    clock: Callable[[], datetime],
) -> None:
    with transaction(sessions) as session:
        accounts.set_password(
            session, people.by_email(session, WOMEN_PUNJAB), "a long passphrase", now=clock()
        )
    sweep(LONG_AFTER)  # CSW-PUNJAB escalates: its officer has mail waiting
    with transaction(sessions) as session:
        done = handover.deactivate_person(
            session, actor_email=ADMIN, email=WOMEN_PUNJAB, now=clock()
        )
    assert done.messages_withdrawn >= 1
    with transaction(sessions) as session:
        assert (
            accounts.sign_in(session, WOMEN_PUNJAB, "a long passphrase", now=clock()).person is None
        )
        waiting = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.recipient_email == WOMEN_PUNJAB)
        ).all()
        assert set(waiting) == {"dead"}


def test_a_deactivated_officer_gets_no_escalation_and_the_rung_goes_up_the_ladder(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    sweep: Callable[..., SweepReport],
    escalations_stored: Callable[..., list[dict[str, Any]]],
    clock: Callable[[], datetime],
) -> None:
    with transaction(sessions) as session:
        handover.deactivate_person(session, actor_email=ADMIN, email=WOMEN_PUNJAB, now=clock())
    sweep(LONG_AFTER)
    rungs = {row["level"]: row for row in escalations_stored("CSW-PUNJAB") if row["level"]}
    # No other women development officer in Punjab: the officer rung is missing and
    # the secretary hears of it, as for any rung nobody holds.
    assert rungs[1]["missing_role"] == "officer"
    assert rungs[1]["recipients"] == ["women.secretary.punjab@example.org"]
    every = {email for row in rungs.values() for email in row["messages"]}
    assert WOMEN_PUNJAB not in every
    assert "law.officer.punjab@example.org" not in every


def test_an_acting_charge_lets_its_holder_act_and_copies_them_the_holders_mail(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    stored: Stored,
    advance: Callable[..., workflow.Advanced],
    sweep: Callable[..., SweepReport],
    clock: Callable[[], datetime],
) -> None:
    sindh = "hr.officer.sindh@example.org"  # holds DHRC-SINDH
    nominate = ("DHRC-SINDH", "nominate_members", HR_PUNJAB)
    with pytest.raises(RoleNotAllowedError):
        advance(*nominate, fields={"members": "9"})
    with pytest.raises(AccessDeniedError), transaction(sessions) as session:
        handover.give_acting_charge(
            session,
            actor_email=LAW_PUNJAB,
            email=HR_PUNJAB,
            for_email=sindh,
            until=date(2026, 7, 31),
            today=date(2026, 6, 15),
            now=clock(),
        )
    with transaction(sessions) as session:
        for acting, holder in ((HR_PUNJAB, sindh), (LAW_PUNJAB, WOMEN_PUNJAB)):
            handover.give_acting_charge(
                session,
                actor_email=ADMIN,
                email=acting,
                for_email=holder,
                until=date(2026, 7, 31),
                today=date(2026, 6, 15),
                now=clock(),
            )

    # On the holder's own item the acting person has the holder's authority.
    advance(*nominate, fields={"members": "9"})
    last = stored("DHRC-SINDH")["history"][-1]
    assert (last["actor"], last["role"], last["to"]) == (HR_PUNJAB, "officer", "members_nominated")

    # And a copy of each message the holder is sent, naming whose charge it is.
    sweep(LONG_AFTER)
    with sessions() as session:
        copies = {
            (m.recipient_email, m.payload["commitment"], m.payload.get("acting_for"))
            for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient_email == LAW_PUNJAB)
            )
        }
    assert ("law.officer.punjab@example.org", "CSW-PUNJAB", WOMEN_PUNJAB) in copies
