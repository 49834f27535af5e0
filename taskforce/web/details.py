"""What the pages and the API show of commitments, read once and shared by both.

Every function here checks the viewer's access before it returns anything, so a
handler cannot forget to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import attention, continuity, queries, waiting, workflow
from db.attention import Answers
from db.models import Commitment, Escalation, Event, Meeting
from states import escalation as escalation_rules
from states import rules, stalls
from states.access import Access
from states.actors import FEDERAL
from states.calendar import local_day
from states.definition import Pipeline
from states.rules import ActionOption
from states.waiting import Holder
from taskforce.app import App
from taskforce.web.guard import check
from taskforce.web.viewer import Viewer


@dataclass(frozen=True)
class Timing:
    """Where a commitment stands against its clock, in working days."""

    due_at: datetime | None
    reason: str | None
    working_days_left: int | None
    overdue_days: int | None
    level_due: int | None
    """The rung the days overdue call for: where the next sweep escalates to, not what was
    escalated (that is `Answers.level`)."""

    @property
    def stalled(self) -> bool:
        return self.overdue_days is not None


@dataclass(frozen=True)
class Detail:
    """One commitment as its page and the API show it to one viewer."""

    commitment: Commitment
    pipeline: Pipeline
    timing: Timing
    history: Sequence[Event]
    options: list[ActionOption]
    open_escalations: Sequence[Escalation]
    children: list[tuple[Commitment, Timing]]
    parent_key: str | None
    may_answer: bool
    waiting_on: tuple[Holder, ...] = ()
    # The meeting that made the decision, then those that restated it, in order.
    meetings: tuple[Meeting, ...] = ()
    answers: Answers | None = None
    """The rung its stall actually reached and how it was answered (None when closed)."""


def scope_of(viewer: Viewer) -> str | None:
    """The jurisdiction filter for lists: None (everything) for federal people."""
    return None if viewer.jurisdiction == FEDERAL else viewer.jurisdiction


def visible(session: Session, key: str, viewer: Viewer, access: Access = Access.ITEM) -> Commitment:
    """The commitment `key`, if `viewer` has `access` to it (else 403; unknown: 404)."""
    commitment = queries.get_commitment(session, key)
    check(
        access,
        viewer,
        jurisdiction=commitment.jurisdiction,
        what=commitment.key,
        department=commitment.department,
    )
    return commitment


def timing(installation: App, commitment: Commitment, now: datetime) -> Timing:
    """The commitment's clock at `now`: when it is due, the working days left or overdue."""
    pipeline = installation.catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    state = workflow.state_of(commitment)
    due = stalls.due(pipeline, state, deadline=commitment.deadline, calendar=installation.calendar)
    if due is None:
        return Timing(None, None, None, None, None)
    if now < due.at:
        left = installation.calendar.working_days_between(
            local_day(now), local_day(due.at - due.at.resolution), commitment.jurisdiction
        )
        return Timing(due.at, due.reason.value, left, None, None)
    overdue = installation.calendar.overdue_working_days(due.at, now, commitment.jurisdiction)
    rung = stalls.ladder_level(pipeline, overdue)
    return Timing(due.at, due.reason.value, None, overdue, rung.level if rung else None)


def answered(session: Session, commitment: Commitment, now: datetime) -> Answers | None:
    """The rung the item's stall actually reached, and whether someone handled it."""
    return attention.answers_of(session, [commitment], today=local_day(now)).get(commitment.id)


def open_escalations(session: Session, commitment: Commitment) -> Sequence[Escalation]:
    """The current stall episode's unacknowledged rungs, highest first."""
    return session.scalars(
        select(Escalation)
        .where(
            Escalation.commitment_id == commitment.id,
            Escalation.stage_seq == commitment.stage_seq,
            Escalation.level > 0,
            Escalation.acknowledged_at.is_(None),
        )
        .order_by(Escalation.level.desc())
    ).all()


def detail(session: Session, installation: App, key: str, viewer: Viewer, now: datetime) -> Detail:
    """Everything the commitment page shows, for `viewer` (who must have ITEM access)."""
    commitment = visible(session, key, viewer)
    pipeline = installation.catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    kids = queries.children(session, commitment)
    return Detail(
        commitment=commitment,
        pipeline=pipeline,
        timing=timing(installation, commitment, now),
        history=queries.history(session, commitment),
        # Forward moves first: withdrawing or lapsing is offered, never as the suggested step.
        options=sorted(
            rules.options(
                pipeline,
                workflow.state_of(commitment),
                viewer.actor,
                open_children=[child.key for child in kids if child.status == "open"],
            ),
            key=lambda option: pipeline.ends_otherwise(option.transition),
        ),
        open_escalations=open_escalations(session, commitment),
        children=[(child, timing(installation, child, now)) for child in kids],
        parent_key=queries.parent_key(session, commitment),
        meetings=tuple(continuity.meetings_of(session, commitment)),
        answers=answered(session, commitment, now),
        waiting_on=waiting.waiting_on(installation.catalogue, commitment, waiting.holders(session)),
        may_answer=commitment.status == "open"
        and escalation_rules.may_answer(
            viewer.actor, commitment.jurisdiction, commitment.department
        ),
    )


def events_after(session: Session, commitment: Commitment, seq: int) -> list[Event]:
    """What happened to `commitment` after the event `seq` the viewer last saw.

    A form carries the latest event sequence on the page beside the version, so on
    a conflict the page can show exactly what changed instead of only refusing.
    """
    return [event for event in queries.history(session, commitment) if event.seq > seq]
