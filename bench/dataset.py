"""Large, valid datasets for the sweep and digest benchmarks, loaded through the bare driver.

Rows are exactly what `db.workflow.create` writes for a `provincial_bill` (the
commitment in `drafting` at version 1 with its `created` event, its due time
computed by `states.stalls.due`), but written in bulk: executemany on SQLite,
COPY on PostgreSQL. Loading is not what is measured; it just has to be quick
enough for a million rows on a small machine.

The commitments are spread over every province and three departments. A fixed
number of them, evenly spaced by id, are stalled: they entered `drafting` weeks
before `now`, at four different ages so that they stand at every rung of the
ladder. All the others entered `drafting` the day before `now`, so they are due
three weeks later: open, not stalled, and outside every reminder window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench.databases import DEPARTMENTS, Installation, officer_email
from states.actors import PROVINCES
from states.calendar import local_day
from states.rules import CommitmentState, Status
from states.stalls import due

PIPELINE = "provincial_bill"
# A Monday morning in Pakistan (11:00 local): the moment every sweep and digest is taken at.
NOW = datetime(2026, 9, 14, 6, 0, tzinfo=UTC)
# Calendar days before NOW that stalled items entered drafting (15 working days allowed):
# about 2, 5, 9 and 14 working days overdue, so every rung of the ladder is reached.
STALLED_AGES = (28, 32, 38, 45)
FRESH_AGE = 1
CHUNK = 20_000

COMMITMENT_COLUMNS = (
    "id", "key", "title", "pipeline_key", "pipeline_version", "jurisdiction", "department",
    "officer_id", "meeting_id", "agenda_item", "parent_id", "stage", "stage_entered_at",
    "start_date", "deadline", "status", "fields", "created_at", "closed_at", "due_at",
    "stage_seq", "snoozed_until", "exempt", "version",
)  # fmt: skip
EVENT_COLUMNS = (
    "commitment_id", "seq", "kind", "at", "actor_email", "actor_role", "action", "from_stage",
    "to_stage", "fields", "comment",
)  # fmt: skip


@dataclass(frozen=True)
class _Cohort:
    """Commitments that entered drafting at the same moment, so share their dates."""

    entered_at: datetime
    start_date: date
    deadline: date | None
    due_at: datetime


def populate(installation: Installation, *, total: int, stalled: int) -> None:
    """Load `total` open commitments, `stalled` of them past due at NOW, with their events."""
    if total % stalled:
        raise ValueError(f"{stalled} stalled must divide {total} evenly")
    step = total // stalled
    cohorts = [_cohort(installation, NOW - timedelta(days=d)) for d in STALLED_AGES]
    fresh = _cohort(installation, NOW - timedelta(days=FRESH_AGE))
    with installation.engine.connect() as connection:
        officers = {
            email: person_id
            for person_id, email in connection.execute(text("SELECT id, email FROM people"))
        }
    version = installation.catalogue.latest(PIPELINE).version
    places = [
        (province, department, officers[officer_email(province, department)])
        for department in DEPARTMENTS
        for province in PROVINCES
    ]

    def commitments() -> Iterator[tuple[Any, ...]]:
        for i in range(1, total + 1):
            cohort = cohorts[(i // step) % len(cohorts)] if i % step == 0 else fresh
            province, department, officer = places[i % len(places)]
            yield (
                i, f"BENCH-{i:07d}", f"Child marriage restraint bill {i}", PIPELINE, version,
                province, department, officer, None, None, None, "drafting", cohort.entered_at,
                cohort.start_date, cohort.deadline, "open", {}, cohort.entered_at, None,
                cohort.due_at, 1, None, False, 1,
            )  # fmt: skip

    def events() -> Iterator[tuple[Any, ...]]:
        for i in range(1, total + 1):
            cohort = cohorts[(i // step) % len(cohorts)] if i % step == 0 else fresh
            yield (
                i, 1, "created", cohort.entered_at, "system", "system", None, None, "drafting",
                {}, None,
            )  # fmt: skip

    if installation.dialect == "sqlite":
        _load_sqlite(installation, commitments(), events())
    else:
        _load_postgres(installation, commitments(), events())


def _cohort(installation: Installation, entered_at: datetime) -> _Cohort:
    pipeline = installation.catalogue.latest(PIPELINE)
    start = local_day(entered_at)
    deadline = pipeline.deadline_for(start)
    dues = set()
    for province in PROVINCES:  # the same everywhere unless a province closes extra days
        state = CommitmentState(
            key="BENCH",
            pipeline=pipeline.key,
            pipeline_version=pipeline.version,
            jurisdiction=province,
            stage=pipeline.initial,
            status=Status.OPEN,
            stage_entered_at=entered_at,
        )
        when = due(pipeline, state, deadline=deadline, calendar=installation.calendar)
        assert when is not None
        dues.add(when.at)
    if len(dues) != 1:
        raise RuntimeError("the benchmark calendar must be the same in every province")
    return _Cohort(entered_at=entered_at, start_date=start, deadline=deadline, due_at=dues.pop())


def _sqlite_value(value: Any) -> Any:
    # What SQLAlchemy stores on SQLite: naive UTC timestamps, ISO dates, JSON text, 0/1.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _load_sqlite(
    installation: Installation,
    commitments: Iterator[tuple[Any, ...]],
    events: Iterator[tuple[Any, ...]],
) -> None:
    raw = installation.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, rows in (
            ("commitments", COMMITMENT_COLUMNS, commitments),
            ("events", EVENT_COLUMNS, events),
        ):
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)})"
                f" VALUES ({', '.join('?' for _ in columns)})"
            )
            cursor.execute("BEGIN IMMEDIATE")
            for chunk in _chunks(rows):
                cursor.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in chunk])
            cursor.execute("COMMIT")
        # No ANALYZE: the engine never runs it on SQLite, so its databases have no statistics.
        cursor.close()
    finally:
        raw.close()


def _load_postgres(
    installation: Installation,
    commitments: Iterator[tuple[Any, ...]],
    events: Iterator[tuple[Any, ...]],
) -> None:
    raw = installation.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, rows in (
            ("commitments", COMMITMENT_COLUMNS, commitments),
            ("events", EVENT_COLUMNS, events),
        ):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(tuple(json.dumps(v) if isinstance(v, dict) else v for v in row))
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('commitments', 'id'), max(id)) FROM commitments"
        )
        raw.commit()
        raw.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        cursor.execute("VACUUM ANALYZE")
        raw.dbapi_connection.autocommit = False  # type: ignore[union-attr]
        cursor.close()
    finally:
        raw.close()


def reset_escalations(installation: Installation) -> None:
    """Forget every escalation and message, so the next sweep starts from the same state."""
    with installation.engine.begin() as connection:
        connection.execute(text("DELETE FROM outbox"))
        connection.execute(text("DELETE FROM escalations"))
