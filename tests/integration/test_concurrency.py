"""Two people moving the same commitment at once: one wins, the other is told, nothing is lost.

The `version` column is the optimistic lock. A form that says which version its
user saw (`expected_version`) is refused once the commitment has moved; a write
from a session that read an old row is refused when the UPDATE finds the version
changed under it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db import queries, workflow
from db.engine import transaction
from states.catalogue import Catalogue
from states.errors import ConflictError

Advance = Callable[..., workflow.Advanced]
Stored = Callable[..., dict[str, Any]]

LAW_OFFICER = "law.officer.punjab@example.org"
LAW_SECRETARY = "law.secretary.punjab@example.org"
JOIN_SECONDS = 60  # far above the worst case (SQLite waits up to 30 s for its write lock)


def test_a_stale_read_is_refused_with_a_conflict(
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    advance: Advance,
    stored: Stored,
) -> None:
    # Officer B opens the commitment in a form; that request ends.
    with sessions() as session:
        seen = queries.get_commitment(session, "CMB-PUNJAB").version
    # Officer A sends it for vetting meanwhile.
    moved = advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER, expected_version=seen)
    after_a = stored("CMB-PUNJAB")

    # B submits the form: withdrawing would be legal from the new stage too, but B never saw it.
    with pytest.raises(ConflictError) as conflict:
        advance(
            "CMB-PUNJAB",
            "withdraw",
            LAW_SECRETARY,
            comment="no longer needed",
            expected_version=seen,
        )

    assert conflict.value.exit_code == 5
    assert conflict.value.message.startswith("CMB-PUNJAB changed since you looked at it")
    assert f"version {seen}, now {moved.commitment.version}" in conflict.value.message
    assert "law_vetting" in conflict.value.message
    assert stored("CMB-PUNJAB") == after_a
    assert [(e["action"], e["actor"]) for e in after_a["history"]] == [
        (None, "system"),
        ("send_for_vetting", LAW_OFFICER),
    ]


def _race(attempts: list[Callable[[], object]]) -> list[object | BaseException]:
    """Run each attempt in its own thread; what each returned or raised."""
    outcomes: list[object | BaseException] = [RuntimeError("did not finish")] * len(attempts)

    def run(slot: int, attempt: Callable[[], object]) -> None:
        try:
            outcomes[slot] = attempt()
        except BaseException as error:
            outcomes[slot] = error

    threads = [
        threading.Thread(target=run, args=(slot, attempt), daemon=True)
        for slot, attempt in enumerate(attempts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a writer is still waiting"
    return outcomes


def _unexpected(outcomes: list[object | BaseException]) -> None:
    """Re-raise anything but a success or a ConflictError, so its traceback is shown."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ConflictError):
            raise outcome


@pytest.mark.parametrize(
    ("second_action", "second_actor", "comment"),
    [
        pytest.param("send_for_vetting", LAW_SECRETARY, None, id="same-action"),
        pytest.param("withdraw", LAW_SECRETARY, "superseded", id="different-actions"),
    ],
)
def test_two_people_advancing_at_once_one_wins(
    database_url: str,
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    stored: Stored,
    event_count: Callable[[], int],
    clock: Callable[[], datetime],
    second_action: str,
    second_actor: str,
    comment: str | None,
) -> None:
    before = stored("CMB-PUNJAB")
    events_before = event_count()
    moments = clock(), clock()
    barrier = threading.Barrier(2, timeout=JOIN_SECONDS)
    # Where two transactions can read at once (PostgreSQL), both read the commitment
    # before either writes, so both pass the expected_version check and the race is
    # decided by the version column, every time. SQLite's writers queue from their
    # first read (BEGIN IMMEDIATE), so there both go straight to the advance.
    read_first = not database_url.startswith("sqlite")

    def attempt(action: str, actor: str, comment: str | None, at: datetime) -> Callable[[], str]:
        def submit() -> str:
            # Each thread its own session, hence its own connection and transaction.
            with transaction(sessions) as session:
                if read_first:
                    queries.get_commitment(session, "CMB-PUNJAB")
                barrier.wait()
                result = workflow.advance(
                    session,
                    loaded,
                    key="CMB-PUNJAB",
                    action=action,
                    actor_email=actor,
                    comment=comment,
                    now=at,
                    expected_version=before["version"],
                )
                return result.commitment.stage

        return submit

    outcomes = _race(
        [
            attempt("send_for_vetting", LAW_OFFICER, None, moments[0]),
            attempt(second_action, second_actor, comment, moments[1]),
        ]
    )

    _unexpected(outcomes)
    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if isinstance(o, ConflictError)]
    assert (len(winners), len(losers)) == (1, 1)
    assert "CMB-PUNJAB" in losers[0].message
    after = stored("CMB-PUNJAB")
    assert after["stage"] == winners[0]
    assert after["version"] == before["version"] + 1
    assert event_count() == events_before + 1
    assert after["history"][:-1] == before["history"]
    with sessions() as session:
        assert queries.inconsistent_keys(session) == []


def test_a_write_from_a_stale_session_hits_the_version_column(
    database_url: str,
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    stored: Stored,
    clock: Callable[[], datetime],
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip(
            "SQLite serialises writers: every transaction begins IMMEDIATE, so B's read"
            " would hold the write lock and A could not commit in between; the version"
            " column only matters where two transactions can interleave (PostgreSQL)"
        )
    with sessions() as session_b:
        # B loads the commitment (in drafting, version 1) and keeps its transaction open.
        seen = queries.get_commitment(session_b, "CMB-PUNJAB")
        assert seen.stage == "drafting"

        # A loads it too, advances and commits.
        with transaction(sessions) as session_a:
            workflow.advance(
                session_a,
                loaded,
                key="CMB-PUNJAB",
                action="send_for_vetting",
                actor_email=LAW_OFFICER,
                now=clock(),
            )
            session_a.flush()
        after_a = stored("CMB-PUNJAB")

        # B acts on the row it read, without saying which version it saw: the UPDATE's
        # version check finds the row moved on.
        with pytest.raises(ConflictError, match="CMB-PUNJAB was changed by someone else"):
            workflow.advance(
                session_b,
                loaded,
                key="CMB-PUNJAB",
                action="withdraw",
                actor_email=LAW_SECRETARY,
                comment="superseded",
                now=clock(),
            )
        session_b.rollback()

    assert stored("CMB-PUNJAB") == after_a
    assert [e["action"] for e in after_a["history"]] == [None, "send_for_vetting"]


def test_the_last_two_children_ending_at_once_complete_the_parent_once(
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    activate_committee: Callable[..., workflow.Advanced],
    activate_districts: Callable[..., list[str]],
    stored: Stored,
    clock: Callable[[], datetime],
) -> None:
    # Every province's districts first: a province waits for its open districts.
    activate_committee("DHRC-PUNJAB-LAHORE", "hr.officer.lahore@example.org")
    officers = {
        "DHRC-PUNJAB": "hr.officer.punjab@example.org",
        "DHRC-KP": "hr.officer.kp@example.org",
        "DHRC-SINDH": "hr.officer.sindh@example.org",
        "DHRC-BALOCHISTAN": "hr.officer.balochistan@example.org",
    }
    for key, officer in officers.items():
        activate_districts(key, officer)
    activate_committee("DHRC-PUNJAB", officers["DHRC-PUNJAB"])
    activate_committee("DHRC-KP", officers["DHRC-KP"])
    last_two = {key: officers[key] for key in ("DHRC-SINDH", "DHRC-BALOCHISTAN")}
    for key, officer in last_two.items():
        activate_committee(key, officer, until="first_meeting_held")

    barrier = threading.Barrier(2, timeout=JOIN_SECONDS)

    def report(key: str, officer: str, at: datetime) -> Callable[[], tuple[str, ...]]:
        def submit() -> tuple[str, ...]:
            barrier.wait()
            with transaction(sessions) as session:
                return workflow.advance(
                    session,
                    loaded,
                    key=key,
                    action="report_operational",
                    actor_email=officer,
                    fields={"first_report_on": "2026-06-10"},
                    now=at,
                ).rolled_up

        return submit

    outcomes = _race([report(key, officer, clock()) for key, officer in last_two.items()])

    _unexpected(outcomes)
    # Neither is refused: they touch different rows; the parent's lock orders the roll-ups.
    assert set(outcomes) == {(), ("DHRC-NATIONAL",)}
    national = stored("DHRC-NATIONAL")
    assert (national["stage"], national["status"]) == ("completed", "completed")
    assert [(e["actor"], e["action"]) for e in national["history"]] == [
        ("system", None),
        ("system", "complete"),
    ]
    with sessions() as session:
        assert queries.inconsistent_keys(session) == []
