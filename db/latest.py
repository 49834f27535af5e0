"""Each commitment's latest event (of some kinds, or of every kind): one way to ask for it.

Remarks, pauses, moves between versions and the consistency check all want "the newest
event of each commitment that ...": the highest `seq` per commitment, joined back to its
row. The caller owns the transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.sql import Subquery

from db.models import Commitment, Event


def latest_seqs(*where: ColumnElement[bool], with_commitment: bool = False) -> Subquery:
    """(commitment_id, seq) of each commitment's latest event matching `where`; with
    `with_commitment`, `where` may also test the commitment's own columns."""
    query = select(Event.commitment_id, func.max(Event.seq).label("seq"))
    if with_commitment:
        query = query.join(Commitment, Commitment.id == Event.commitment_id)
    return query.where(*where).group_by(Event.commitment_id).subquery("latest")


def is_latest(latest: Subquery, event: Any = Event) -> ColumnElement[bool]:
    """The join of `event` (the Event model or an alias of it) to its row in `latest`."""
    return and_(event.commitment_id == latest.c.commitment_id, event.seq == latest.c.seq)
