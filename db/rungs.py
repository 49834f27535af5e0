"""What each commitment's current stall episode was escalated to, kept where pages read it.

The escalations are the record; this module keeps two copies of what they say in the
shape "Needs you" reads by index: on the commitment, the highest rung escalated and
whether every rung escalated was acknowledged; and one row per recipient of each rung, so "escalated
to me" is a lookup rather than a search through every escalation's recipient list. Both
are written in the transaction that writes the escalations or their answers; a move to a
new stage resets the first (`db.workflow`), and the second is matched by stage episode.
The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import Table, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Commitment, Escalation, EscalationRecipient

_RECIPIENTS: Table = EscalationRecipient.__table__  # type: ignore[assignment]


def record_recipients(
    session: Session, rungs: Iterable[tuple[int, int, int, Iterable[str]]]
) -> None:
    """One row per (recipient, commitment, stage episode, level) of escalations just recorded."""
    rows = sorted(
        {
            (email.lower(), commitment_id, stage_seq, level)
            for commitment_id, stage_seq, level, emails in rungs
            if level > 0
            for email in emails
        }
    )
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(_RECIPIENTS).on_conflict_do_nothing(),
        [
            {"email": email, "commitment_id": c, "stage_seq": s, "level": level}
            for email, c, s, level in rows
        ],
    )


def refresh(session: Session, commitment_ids: Collection[int]) -> None:
    """Set each commitment's highest rung and unanswered rungs from its current episode."""
    if not commitment_ids:
        return
    rungs = select(Escalation.id).where(
        Escalation.commitment_id == Commitment.id,
        Escalation.stage_seq == Commitment.stage_seq,
        Escalation.level > 0,
    )
    session.execute(
        update(Commitment)
        .where(Commitment.id.in_(sorted(commitment_ids)))
        .values(
            escalated_level=func.coalesce(
                rungs.with_only_columns(func.max(Escalation.level)).scalar_subquery(), 0
            ),
            answered=and_(
                rungs.exists(), ~rungs.where(Escalation.acknowledged_at.is_(None)).exists()
            ),
        )
        .execution_options(synchronize_session=False)
    )
