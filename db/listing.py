"""Pages of commitments read by keyset: filtering, ordering and limiting done in SQL.

The orders and what a position means are rules (`states/paging.py`); this module
only turns them into queries. A page never counts or skips rows (no OFFSET): it
starts strictly after the previous page's last item, by an index on
(status, due_at, key) for the urgency order and the unique key for the key order,
so its cost follows the page size, not the size of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from db.models import Commitment, CommitmentRef, Person
from states.paging import DUE, REST, Order, Position, position_after

Row = TypeVar("Row")
AnySelect = Select[*tuple[Any, ...]]

_OPEN_DUE = and_(Commitment.status == "open", Commitment.due_at.is_not(None))
_NOT_OPEN_DUE = or_(Commitment.status != "open", Commitment.due_at.is_(None))


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of rows, and the positions to read the next page after and the previous one
    before (None: the last page; the first)."""

    rows: list[Row]
    next: Position | None
    previous: Position | None = None


# A search found in at most this many commitments names them to the page's query, which reads
# them by id; one found in more is looked for row by row as the page walks its own order,
# which stops at the page's end soon when so many match.
FEW_FOUND = 1_000


def matching(session: Session, words: str) -> ColumnElement[bool]:
    """Commitments whose key, title, officer's name or e-mail, or a reference contains `words`.

    Case-insensitive alike on SQLite and PostgreSQL (both lower-case the column and the
    words); the words are matched literally, `%` and `_` included. Each place is first
    searched on its own (on PostgreSQL by its trigram index, migration 0020), reading no
    more than FEW_FOUND + 1 matches: words found in few commitments are then read by id
    instead of being looked for in every commitment.
    """
    pattern = "%" + _escaped(words.lower()) + "%"

    def contains(column: Any) -> ColumnElement[bool]:
        return func.lower(column).like(pattern, escape="\\")

    people = select(Person.id).where(or_(contains(Person.name), contains(Person.email)))
    referenced = select(CommitmentRef.commitment_id).where(
        # Written out, not bound, so it is the expression of the trigram index.
        contains(CommitmentRef.kind + literal_column("':'") + CommitmentRef.value)
    )
    # Its own name for the table, so no arm is correlated with the query it filters.
    searched = aliased(Commitment)
    arms = union_all(
        select(searched.id.label("id")).where(contains(searched.key)),
        select(searched.id).where(contains(searched.title)),
        select(searched.id).where(searched.officer_id.in_(people)),
        referenced,
    ).subquery("found")
    found = set(session.scalars(select(arms.c.id).limit(FEW_FOUND + 1)))
    if len(found) <= FEW_FOUND:
        return Commitment.id.in_(sorted(found))
    return or_(
        contains(Commitment.key),
        contains(Commitment.title),
        Commitment.officer_id.in_(people),
        Commitment.id.in_(referenced),
    )


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def by_key(session: Session, query: AnySelect, *, after: Position | None, limit: int) -> Page[Any]:
    """The page of `query`'s rows (each with the commitment's key) after `after`, by key."""
    if after is not None:
        query = query.where(Commitment.key > after.key)
    rows = list(session.execute(query.order_by(Commitment.key).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(_firsts(rows), None)
    return Page(_firsts(rows[:limit]), position_after(Order.KEY, key=_key(rows[limit - 1])))


def by_urgency(
    session: Session,
    query: AnySelect,
    *,
    after: Position | None,
    limit: int,
    before: Position | None = None,
) -> Page[Any]:
    """The page of `query`'s rows after `after` (or just before `before`), most urgent first
    (states/paging.py).

    Open commitments with a due time are read first by (due_at, key); when they run out
    within the page, the rest follow by key.
    """
    if before is not None:
        return _urgent_before(session, query, before, limit)
    page = _urgent_after(session, query, after, limit)
    if after is None or not page.rows:
        return page
    return Page(page.rows, page.next, _urgent_position(page.rows[0]))


def _urgent_before(session: Session, query: AnySelect, before: Position, limit: int) -> Page[Any]:
    """The `limit` rows just before `before`: read backwards, then turned round."""
    rows: list[Any] = []
    if before.band == REST:
        rest = query.where(_NOT_OPEN_DUE, Commitment.key < before.key)
        rows = list(session.execute(rest.order_by(Commitment.key.desc()).limit(limit + 1)))
        if len(rows) > limit:
            page = rows[:limit][::-1]
            return Page(_firsts(page), _urgent_position(page[-1]), _urgent_position(page[0]))
    due = query.where(_OPEN_DUE)
    if before.band == DUE:
        due = due.where(
            Commitment.due_at <= before.due_at,
            or_(Commitment.due_at < before.due_at, Commitment.key < before.key),
        )
    wanted = limit - len(rows)
    earlier = list(
        session.execute(
            due.order_by(
                Commitment.status.desc(), Commitment.due_at.desc(), Commitment.key.desc()
            ).limit(wanted + 1)
        )
    )
    page = (rows + earlier[:wanted])[::-1]
    if not page:
        return Page([], None)
    more = len(earlier) > wanted
    return Page(
        _firsts(page), _urgent_position(page[-1]), _urgent_position(page[0]) if more else None
    )


def _urgent_after(
    session: Session, query: AnySelect, after: Position | None, limit: int
) -> Page[Any]:
    rows: list[Any] = []
    if after is None or after.band == DUE:
        due = query.where(_OPEN_DUE)
        if after is not None:
            # Written so the index bounds the scan: (due_at, key) > (d, k) as
            # due_at >= d AND (due_at > d OR key > k); PostgreSQL cannot bound it by the
            # plain OR, and read 25,000 rows to reach the 500th page of 50.
            due = due.where(
                Commitment.due_at >= after.due_at,
                or_(Commitment.due_at > after.due_at, Commitment.key > after.key),
            )
        rows = list(
            session.execute(
                due.order_by(Commitment.status, Commitment.due_at, Commitment.key).limit(limit + 1)
            )
        )
        if len(rows) > limit:
            return Page(_firsts(rows[:limit]), _urgent_position(rows[limit - 1]))
    rest = query.where(_NOT_OPEN_DUE)
    if after is not None and after.band == REST:
        rest = rest.where(Commitment.key > after.key)
    wanted = limit - len(rows)
    rows += list(session.execute(rest.order_by(Commitment.key).limit(wanted + 1)))
    if len(rows) <= limit:
        return Page(_firsts(rows), None)
    return Page(_firsts(rows[:limit]), _urgent_position(rows[limit - 1]))


def _firsts(rows: Sequence[Any]) -> list[Any]:
    """Entities as themselves (a query of one entity), column rows as rows."""
    return [row[0] if len(row) == 1 else row for row in rows]


def _key(row: Any) -> str:
    first = row[0]
    return str(first.key if isinstance(first, Commitment) else row.key)


def _urgent_position(row: Any) -> Position:
    """The position after a row: a result row, or an entity already taken out of one."""
    if isinstance(row, Commitment):
        source = row
    else:
        source = row[0] if isinstance(row[0], Commitment) else row
    return position_after(Order.URGENCY, key=source.key, status=source.status, due_at=source.due_at)
