"""The system's action once a stage's time limit has passed (a stage's `on_time_limit`):
a governor's assent deemed given ten days after a bill passed again is presented
(Article 116(3)). Part of the workflow service; the sweep takes these actions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from db import workflow
from db.models import Commitment
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.rules import Status
from states.stalls import time_limit_action


def past_time_limit(session: Session, catalogue: Catalogue, *, now: datetime) -> list[int]:
    """The open, running commitments standing in a stage with an `on_time_limit` action
    whose due time has come: those the action may now be due on (the rule decides)."""
    places = [
        (pipeline.key, pipeline.version, stage.key)
        for pipeline in catalogue.all()
        for stage in pipeline.stages
        if stage.on_time_limit is not None
    ]
    if not places:
        return []
    # The stored due time is the earlier of the stage's and the deadline's: never later
    # than the stage's own, so it finds every candidate (and a paused item has none).
    query = (
        select(Commitment.id)
        .where(
            Commitment.status == Status.OPEN.value,
            Commitment.paused_at.is_(None),
            Commitment.due_at <= now,
            or_(
                *(
                    and_(
                        Commitment.pipeline_key == key,
                        Commitment.pipeline_version == version,
                        Commitment.stage == stage,
                    )
                    for key, version, stage in places
                )
            ),
        )
        .order_by(Commitment.id)
    )
    return list(session.scalars(query))


def act_at_time_limit(
    session: Session,
    catalogue: Catalogue,
    commitment_id: int,
    *,
    now: datetime,
    calendar: WorkingCalendar = workflow.PUBLIC_HOLIDAYS_ONLY,
) -> tuple[str, ...]:
    """Take the stage's `on_time_limit` action on the commitment if its time limit has passed.

    Returns the commitment's key and the keys of the parents this completed, or an empty
    tuple when nothing was due (moved on meanwhile, paused, or not yet): a second sweep
    finds nothing to do.
    """
    # Locked like every system move, so a person's advance meanwhile is not lost.
    commitment = session.get(
        Commitment, commitment_id, with_for_update={"of": Commitment}, populate_existing=True
    )
    assert commitment is not None
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    due = time_limit_action(pipeline, workflow.state_of(commitment), now=now, calendar=calendar)
    if due is None:
        return ()
    _, rolled_up = workflow.take_system_action(
        session, catalogue, commitment, due.action, due.reason, now=now, calendar=calendar
    )
    return (commitment.key, *rolled_up)
