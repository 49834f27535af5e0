"""A later meeting restating a commitment already loaded: the link, the reiteration, amendments.

`states.continuity` decides what changes; this module stores it with its events, in
the load's transaction. Loading the same file again finds the link and the values
already there, and writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import queries, workflow
from db.models import Commitment, CommitmentMeeting, Meeting, Person
from states import continuity
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue


def restate(
    session: Session,
    catalogue: Catalogue,
    commitment: Commitment,
    meeting: Meeting,
    *,
    deadline: date | None,
    officer: Person | None,
    now: datetime,
    calendar: WorkingCalendar = workflow.PUBLIC_HOLIDAYS_ONLY,
) -> continuity.Restatement:
    """Record that `meeting` restated `commitment`, amending its deadline or officer if it
    gives others; returns what changed (nothing, when loaded before)."""
    session.flush()  # the meeting row, if new, needs its id
    state = workflow.state_of(commitment)
    change = continuity.restatement(
        state,
        meeting=meeting.key,
        origin=commitment.meeting.key if commitment.meeting else None,
        linked=frozenset(meeting_keys(session, commitment.id)),
        current={
            "deadline": continuity.iso(commitment.deadline),
            "officer": commitment.officer.email if commitment.officer else None,
        },
        stated={
            "deadline": continuity.iso(deadline),
            "officer": officer.email if officer else None,
        },
    )
    if not change.changed:
        return change
    if change.reiterated:
        session.add(
            CommitmentMeeting(commitment_id=commitment.id, meeting_id=meeting.id, linked_at=now)
        )
    if "deadline" in change.amended and deadline is not None:
        commitment.deadline = deadline
        pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
        commitment.due_at = workflow.due_at_of(pipeline, commitment, calendar)
    if "officer" in change.amended and officer is not None:
        commitment.officer = officer
    with workflow.refusals(commitment.key):
        session.flush()  # the version check and bump, once for the whole restatement
        seq = queries.next_event_seq(session, commitment.id)
        for offset, event in enumerate(
            continuity.events(state, change, meeting=meeting.key, title=meeting.title, now=now)
        ):
            workflow.append_event(session, commitment, event, seq=seq + offset)
        session.flush()
    return change


def meeting_keys(session: Session, commitment_id: int) -> list[str]:
    """The later meetings that restated a commitment, in the order they were held."""
    return list(
        session.scalars(
            select(Meeting.key)
            .join(CommitmentMeeting, CommitmentMeeting.meeting_id == Meeting.id)
            .where(CommitmentMeeting.commitment_id == commitment_id)
            .order_by(Meeting.held_on, Meeting.key)
        )
    )


def meetings_of(session: Session, commitment: Commitment) -> list[Meeting]:
    """Every meeting that stated the commitment: the one that made it, then those that restated
    it, in the order they were held."""
    later = list(
        session.scalars(
            select(Meeting)
            .join(CommitmentMeeting, CommitmentMeeting.meeting_id == Meeting.id)
            .where(CommitmentMeeting.commitment_id == commitment.id)
            .order_by(Meeting.held_on, Meeting.key)
        )
    )
    return ([commitment.meeting] if commitment.meeting else []) + later
