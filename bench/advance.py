"""Benchmark 1, advance: commitments walked through every stage of `provincial_bill`.

Three contenders, each on a database of its own made the same way, one
transaction per advance as an officer's request would be:

- the engine: `db.workflow.advance` (validation, authorization, the optimistic
  lock, the event, due time and stall-episode bookkeeping);
- the bare driver (sqlite3 or psycopg): the same reads and writes as hand-written
  SQL (read the row, check the version, read the person, read the next event
  number, update with the version check, insert the event), with the smallest
  possible logic in between: the physical limit of the database for this work;
- a peer engine: python-statemachine driving the same rows through SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from time import perf_counter
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import text

from bench.databases import (
    Databases,
    Installation,
    install,
    officer_email,
    postgres_connection,
    secretary_email,
    sqlite_connection,
)
from bench.report import Result
from db import people, workflow
from db.engine import transaction
from states.actors import SYSTEM_ACTOR

PROVINCE = "punjab"
DEPARTMENT = "law"
OFFICER = officer_email(PROVINCE, DEPARTMENT)
SECRETARY = secretary_email(PROVINCE, DEPARTMENT)
STARTED_AT = datetime(2026, 2, 2, 4, 0, tzinfo=UTC)
WARM_UP = 10  # commitments walked, untimed, before each contender's timed walk


@dataclass(frozen=True)
class Step:
    """One advance of the walk: the action, who takes it, what they fill in."""

    action: str
    actor: str
    role: str
    fields: Mapping[str, str]
    from_stage: str
    to_stage: str


# drafting → ... → enacted: eight advances, every stage of the pipeline's main path. The dates
# are before the walk (2 February 2026 on): they record what was done, never the future.
WALK = (
    Step("send_for_vetting", OFFICER, "officer", {}, "drafting", "law_vetting"),
    Step("vet", OFFICER, "officer", {}, "law_vetting", "cabinet_approval"),
    Step(
        "approve_in_cabinet",
        SECRETARY,
        "secretary",
        {"cabinet_decision": "CAB-2026-14"},
        "cabinet_approval",
        "cabinet_approved",
    ),
    Step(
        "introduce",
        OFFICER,
        "officer",
        {"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-01-12"},
        "cabinet_approved",
        "introduced",
    ),
    Step("refer_to_committee", OFFICER, "officer", {}, "introduced", "standing_committee"),
    Step("pass", OFFICER, "officer", {"passed_on": "2026-01-26"}, "standing_committee", "passed"),
    Step("send_for_assent", OFFICER, "officer", {}, "passed", "governor_assent"),
    Step(
        "notify_in_gazette",
        OFFICER,
        "officer",
        {"act_number": "Act XIV of 2026", "gazette_notification": "GN-2026-77"},
        "governor_assent",
        "enacted",
    ),
)

Walker = Callable[[list[str]], None]


def run(databases: Databases, *, quick: bool) -> list[Result]:
    """Throughput of each contender (advances per second), and the engine's ratios to the others.

    The contenders take turns, round after round, each walking new bills on its
    own database, and each one's figure is its median round: whatever else the
    machine is doing falls on all three alike.
    """
    count = 60 if quick else 150
    rounds = 3 if quick else 5
    advances = count * len(WALK)
    contenders = ("engine", "driver", "peer")
    installations: dict[str, Installation] = {}
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    try:
        for name in contenders:
            installations[name] = install(databases.fresh(f"advance_{name}"))
            walk = _walker(name, installations[name])
            walk(_create(installations[name], "WARM", WARM_UP))
        for number in range(rounds):
            for name in contenders:
                keys = _create(installations[name], f"BILL{number}", count)
                walk = _walker(name, installations[name])
                started = perf_counter()
                walk(keys)
                rates[name].append(advances / (perf_counter() - started))
                _check_enacted(installations[name], keys, f"BILL{number}-%")
    finally:
        for installation in installations.values():
            installation.close()
            databases.remove(installation.url)
    figures = {name: median(found) for name, found in rates.items()}
    sizes = {"commitments": count * rounds, "advances": advances * rounds}
    driver = "sqlite3" if databases.kind == "sqlite" else "psycopg"
    ratio_driver = figures["engine"] / figures["driver"]
    ratio_peer = figures["engine"] / figures["peer"]
    spread = {f"{name}_rounds": [round(r) for r in found] for name, found in rates.items()}
    return [
        Result(
            name="advance",
            database=databases.kind,
            sizes=sizes,
            engine=figures["engine"],
            baseline=figures["driver"],
            baseline_name=f"bare {driver}",
            unit="advances/s",
            target=">= 0.20 of the bare driver",
            met=ratio_driver >= 0.20,
            extra=spread,
        ),
        Result(
            name="advance-vs-peer",
            database=databases.kind,
            sizes=sizes,
            engine=figures["engine"],
            baseline=figures["peer"],
            baseline_name="python-statemachine + SQLAlchemy",
            unit="advances/s",
            target=">= 5x the peer engine",
            met=ratio_peer >= 5,
            extra=spread,
        ),
    ]


def _create(installation: Installation, prefix: str, count: int) -> list[str]:
    """Start `count` bills through the engine (untimed), as loading a meeting would."""
    keys = [f"{prefix}-{i:06d}" for i in range(count)]
    with transaction(installation.sessions) as session:
        officer = people.by_email(session, OFFICER)
        for key in keys:
            workflow.create(
                session,
                installation.catalogue,
                workflow.NewCommitment(
                    key=key,
                    title=f"Child marriage restraint bill ({key})",
                    pipeline="provincial_bill",
                    jurisdiction=PROVINCE,
                    department=DEPARTMENT,
                    start_date=STARTED_AT.date(),
                    started_at=STARTED_AT,
                    officer=officer,
                ),
                actor=SYSTEM_ACTOR,
                calendar=installation.calendar,
            )
    return keys


def _check_enacted(installation: Installation, keys: list[str], pattern: str) -> None:
    """Every walk must end with every bill enacted, or its figure means nothing."""
    with installation.engine.connect() as connection:
        enacted = connection.execute(
            text("SELECT count(*) FROM commitments WHERE stage = 'enacted' AND key LIKE :keys"),
            {"keys": pattern},
        ).scalar_one()
    if enacted != len(keys):
        raise RuntimeError(f"only {enacted} of {len(keys)} bills reached enacted")


def _walker(contender: str, installation: Installation) -> Walker:
    if contender == "engine":
        return lambda keys: _walk_engine(installation, keys)
    if contender == "peer":
        from bench.peer import walk_peer

        return lambda keys: walk_peer(installation, keys, WALK, moments=_moments())
    if installation.dialect == "sqlite":
        return lambda keys: _walk_sqlite(installation.url, keys)
    return lambda keys: _walk_postgres(installation.url, keys)


def _moments() -> Callable[[], datetime]:
    """Successive request times a second apart, after the bills were started."""
    tick = iter(range(10**9))
    return lambda: STARTED_AT + timedelta(days=1, seconds=next(tick))


def _walk_engine(installation: Installation, keys: list[str]) -> None:
    now = _moments()
    for number, step in enumerate(WALK):
        for key in keys:
            with transaction(installation.sessions) as session:
                workflow.advance(
                    session,
                    installation.catalogue,
                    key=key,
                    action=step.action,
                    actor_email=step.actor,
                    fields=step.fields,
                    now=now(),
                    expected_version=number + 1,
                    calendar=installation.calendar,
                )


# --- the bare driver ---------------------------------------------------------------------

# The row as the engine reads it: the commitment with its officer and meeting joined.
READ = (
    "SELECT c.id, c.key, c.title, c.pipeline_key, c.pipeline_version, c.jurisdiction,"
    " c.department, c.officer_id, c.meeting_id, c.agenda_item, c.parent_id, c.stage,"
    " c.stage_entered_at, c.start_date, c.deadline, c.status, c.fields, c.created_at,"
    " c.closed_at, c.due_at, c.stage_seq, c.snoozed_until, c.exempt, c.version,"
    " p.id, p.email, p.name, p.role, p.jurisdiction, p.department, p.language, p.active,"
    " p.created_at, m.id, m.key, m.title, m.held_on, m.chair"
    " FROM commitments c LEFT OUTER JOIN people p ON p.id = c.officer_id"
    " LEFT OUTER JOIN meetings m ON m.id = c.meeting_id WHERE c.key = {0}"
)
PERSON = (
    "SELECT id, email, name, role, jurisdiction, department, language, active, created_at"
    " FROM people WHERE lower(email) = {0}"
)
NEXT_SEQ = "SELECT max(seq) FROM events WHERE commitment_id = {0}"
UPDATE = (
    "UPDATE commitments SET stage = {0}, status = {0}, stage_entered_at = {0}, fields = {0},"
    " closed_at = {0}, stage_seq = {0}, snoozed_until = NULL, due_at = {0}, version = {0}"
    " WHERE id = {0} AND version = {0}"
)
INSERT_EVENT = (
    "INSERT INTO events (commitment_id, seq, kind, at, effective_at, actor_email, actor_role,"
    " action, from_stage, to_stage, fields, comment) VALUES ({0}, {0}, 'transition', {0}, {0},"
    " {0}, {0}, {0}, {0}, {0}, {0}, NULL)"
)
STAGE_DAYS = timedelta(days=14)  # the baseline's stand-in for the working-day calendar


def _sqlite_time(moment: datetime) -> str:
    # The layout SQLAlchemy stores SQLite timestamps in (naive UTC).
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _walk_sqlite(url: str, keys: list[str]) -> None:
    connection = sqlite_connection(url)
    read, person_sql, next_seq, update, insert = (
        s.format("?") for s in (READ, PERSON, NEXT_SEQ, UPDATE, INSERT_EVENT)
    )
    now = _moments()
    try:
        for number, step in enumerate(WALK):
            terminal = step.to_stage == "enacted"
            for key in keys:
                at = now()
                connection.execute("BEGIN IMMEDIATE")
                try:
                    row = connection.execute(read, (key,)).fetchone()
                    if row is None or row[23] != number + 1 or row[11] != step.from_stage:
                        raise RuntimeError(f"{key} is not where the walk expects it")
                    actor = connection.execute(person_sql, (step.actor.lower(),)).fetchone()
                    if actor is None or actor[3] != step.role:
                        raise RuntimeError(f"{step.actor} may not {step.action}")
                    seq = (connection.execute(next_seq, (row[0],)).fetchone()[0] or 0) + 1
                    fields = {**json.loads(row[16]), **step.fields}
                    stamp = _sqlite_time(at)
                    changed = connection.execute(
                        update,
                        (
                            step.to_stage,
                            "completed" if terminal else "open",
                            stamp,
                            json.dumps(fields),
                            stamp if terminal else None,
                            seq,
                            None if terminal else _sqlite_time(at + STAGE_DAYS),
                            number + 2,
                            row[0],
                            number + 1,
                        ),
                    ).rowcount
                    if changed != 1:
                        raise RuntimeError(f"{key} changed under the walk")
                    connection.execute(
                        insert,
                        (
                            row[0],
                            seq,
                            stamp,
                            stamp,
                            actor[1],
                            actor[3],
                            step.action,
                            step.from_stage,
                            step.to_stage,
                            json.dumps(dict(step.fields)),
                        ),
                    )
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
    finally:
        connection.close()


def _walk_postgres(url: str, keys: list[str]) -> None:
    connection = postgres_connection(url)
    read, person_sql, next_seq, update, insert = (
        s.format("%s") for s in (READ, PERSON, NEXT_SEQ, UPDATE, INSERT_EVENT)
    )
    now = _moments()
    try:
        for number, step in enumerate(WALK):
            terminal = step.to_stage == "enacted"
            for key in keys:
                at = now()
                with connection.transaction(), connection.cursor() as cursor:
                    row = _one(cursor, read, (key,))
                    if row[23] != number + 1 or row[11] != step.from_stage:
                        raise RuntimeError(f"{key} is not where the walk expects it")
                    actor = _one(cursor, person_sql, (step.actor.lower(),))
                    if actor[3] != step.role:
                        raise RuntimeError(f"{step.actor} may not {step.action}")
                    seq = (_one(cursor, next_seq, (row[0],))[0] or 0) + 1
                    fields = {**row[16], **step.fields}
                    cursor.execute(
                        update,
                        (
                            step.to_stage,
                            "completed" if terminal else "open",
                            at,
                            Json(fields),
                            at if terminal else None,
                            seq,
                            None if terminal else at + STAGE_DAYS,
                            number + 2,
                            row[0],
                            number + 1,
                        ),
                    )
                    if cursor.rowcount != 1:
                        raise RuntimeError(f"{key} changed under the walk")
                    cursor.execute(
                        insert,
                        (
                            row[0],
                            seq,
                            at,
                            at,
                            actor[1],
                            actor[3],
                            step.action,
                            step.from_stage,
                            step.to_stage,
                            Json(dict(step.fields)),
                        ),
                    )
    finally:
        connection.close()


def _one(cursor: psycopg.Cursor[Any], sql: str, params: tuple[Any, ...]) -> Any:
    row = cursor.execute(sql, params).fetchone()
    if row is None:
        raise RuntimeError(f"nothing found for {params}")
    return row
