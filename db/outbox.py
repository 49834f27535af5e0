"""The outbox as a queue: claim due messages, record how each send went, re-queue dead ones.

A message is `pending` until it is `sent`, or `dead` once retrying stopped
(the rule in states.retry decides). A worker claims a batch by setting
`claimed_until` (a lease) in a short transaction of its own and commits at
once; on PostgreSQL the claim skips rows another worker has locked
(`FOR UPDATE SKIP LOCKED`), and SQLite serialises claims with its write lock.
A crashed worker's lease simply runs out, and the next claim takes its rows.

Like every query module, these functions take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from db.models import OutboxMessage
from states.calendar import PAKISTAN_TIME
from states.errors import NotFoundError, TaskforceError
from states.retry import DeadLetter, Decision

STATUSES = ("pending", "sent", "dead")
ALL_DEAD: Literal["all-dead"] = "all-dead"


def claim(
    session: Session, *, now: datetime, limit: int, lease: timedelta, after: int = 0
) -> list[OutboxMessage]:
    """Pending messages due by `now` and held by nobody, oldest first, leased until now + lease.

    `after` skips ids up to it, so one delivery run walks the queue once. The
    caller commits the claim before sending anything.
    """
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                OutboxMessage.id > after,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            # PostgreSQL: rows being claimed by another worker are passed over, not waited for.
            # SQLite renders no FOR UPDATE; its BEGIN IMMEDIATE already serialises claims.
            .with_for_update(skip_locked=True)
        )
    )
    until = now + lease
    for row in rows:
        row.claimed_until = until
    session.flush()
    return rows


def release(session: Session, ids: Sequence[int]) -> None:
    """Give claimed messages back untried, for the next claim."""
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
            .values(claimed_until=None)
        )


def mark_sent(session: Session, outbox_id: int, *, message_id: str, sent_at: datetime) -> bool:
    """Record a successful send under its Message-ID; False (no change) if no longer pending."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending")
        .values(
            status="sent",
            sent_at=sent_at,
            message_id=message_id,
            attempts=OutboxMessage.attempts + 1,
            claimed_until=None,
        )
    )
    return _changed(result)


def mark_failed(session: Session, outbox_id: int, decision: Decision, *, error: str) -> bool:
    """Count a failed try and keep its error: due again at the decision's time, or dead.

    False (and no change) if the message is no longer pending.
    """
    values: dict[str, object] = {
        "attempts": OutboxMessage.attempts + 1,
        "last_error": error,
        "claimed_until": None,
    }
    if isinstance(decision, DeadLetter):
        values.update(status="dead", next_attempt_at=None)
    else:
        values.update(next_attempt_at=decision.at)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending")
        .values(values)
    )
    return _changed(result)


def list_messages(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """Messages, newest first, optionally only those in one status."""
    if status is not None and status not in STATUSES:
        raise TaskforceError(f"no outbox status {status!r}; use one of: {', '.join(STATUSES)}")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query))


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (every status present, zero included)."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    found = {status: count for status, count in session.execute(query).tuples()}
    return {status: found.get(status, 0) for status in STATUSES}


def get(session: Session, outbox_id: int) -> OutboxMessage:
    """One message by id."""
    message = session.get(OutboxMessage, outbox_id)
    if message is None:
        raise NotFoundError(
            f"there is no outbox message {outbox_id}; `taskforce outbox list` shows them"
        )
    return message


def retry(
    session: Session, target: Sequence[int] | Literal["all-dead"], *, now: datetime
) -> list[int]:
    """Queue dead (or pending) messages to be tried at `now`; returns their ids.

    The try count starts again from zero: `mail_max_attempts` then means tries
    since an operator last looked, and the error that killed the message stays
    in `last_error` until the next try replaces it (a message sent after that
    keeps it as history). Refused: a sent message (sending it again would reach
    its reader twice), and a message a delivery run holds right now (its lease
    is live): re-queuing it would let a second run send it while the first is.
    """
    if isinstance(target, str):
        if target != ALL_DEAD:
            raise TaskforceError(f"retry {target!r}: name message ids, or all-dead")
        ids = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "dead")
                .order_by(OutboxMessage.id)
            )
        )
    else:
        ids = sorted(set(target))
        # Locked until this transaction ends: a claim passes over them meanwhile.
        found = {
            row.id: (row.status, row.claimed_until)
            for row in session.execute(
                select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claimed_until)
                .where(OutboxMessage.id.in_(ids))
                .with_for_update()
            )
        }
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFoundError(
                f"there is no outbox message {', '.join(map(str, missing))};"
                " `taskforce outbox list` shows them"
            )
        sent = [i for i in ids if found[i][0] == "sent"]
        if sent:
            raise TaskforceError(
                f"can't retry outbox message {', '.join(map(str, sent))}: already sent;"
                " sending again would deliver it twice"
            )
        for i in ids:
            status, leased_until = found[i]
            if status == "pending" and leased_until is not None and leased_until > now:
                raise TaskforceError(
                    f"can't retry outbox message {i}: a delivery run is sending it (its lease"
                    f" ends {_local(leased_until)}); once it ends the message is sent, due again"
                    " or dead, and only a dead or waiting one can be re-queued"
                )
    if ids:
        # The lease test again, in the statement: nothing claimed since is taken away.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status != "sent",
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            )
            .values(status="pending", next_attempt_at=now, claimed_until=None, attempts=0)
        )
    return ids


def _local(moment: datetime) -> str:
    return moment.astimezone(PAKISTAN_TIME).strftime("%Y-%m-%d %H:%M:%S PKT")


def _changed(result: object) -> bool:
    return isinstance(result, CursorResult) and result.rowcount == 1
