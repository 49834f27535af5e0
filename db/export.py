"""Everything in the database as JSON lines, keyed by keys not ids, and read back into an empty one.

Each line is one JSON object with a `type`. The first is the header (format, taskforce
version, when, the schema's migration); then one line per row, table by table in the
order of `EXPORTED`, so that every row comes after the rows it refers to. A reference
to another row is written as that row's key (a person's email, a meeting's or a
commitment's key, an event's commitment key and seq), never as a database id, so a
file written from SQLite loads into PostgreSQL and the other way round.

Tables left out, and why, are in `NOT_EXPORTED`; columns left out in `SECRET_COLUMNS`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import metadata
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Engine,
    LargeBinary,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db import migrate
from db.engine import reader_factory
from db.models import Base
from db.types import UTCDateTime
from states.errors import TaskforceError

FORMAT = 1

# The order rows are written and read back: each table after those it refers to.
EXPORTED: tuple[str, ...] = (
    "pipeline_versions",
    "meetings",
    "people",
    "commitments",
    "commitment_meetings",
    "commitment_refs",
    "commitment_tags",
    "events",
    "evidence",
    "event_evidence",
    "escalations",
    "escalation_recipients",
    "person_changes",
    "acting_charges",
    "assembly_events",
)

NOT_EXPORTED: dict[str, str] = {
    "pipeline_sources": "a cache of which pipeline files were read; rebuilt on the next start",
    "outbox": "mail already sent or still to send belongs to the old installation;"
    " the escalations that caused it are exported, so nothing is mailed twice",
    "digests": "each reader's last digest, kept only to compare the next one with;"
    " the next digest is built afresh",
    "api_tokens": "secrets: tokens are issued again on the new installation",
    "instance_secrets": "secrets: the cookie signing key is made anew",
    "nudges": "which reminders were mailed today, kept only so a second one is not;"
    " each nudge is exported as its commitment's nudged event",
}

# Sign-in secrets and state: a restored person sets a password again.
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "people": frozenset(
        {
            "password_hash",
            "password_changed_at",
            "failed_sign_ins",
            "locked_until",
            "session_generation",
        }
    ),
}

# How a row of a table others refer to is named in the file, in place of its id.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "people": ("email",),
    "meetings": ("key",),
    "commitments": ("key",),
    "events": ("commitment_id", "seq"),
}

# Nullable columns added after export files were first written: an older file without
# them restores them empty.
ADDED_LATER = frozenset({"title_ur"})


class ExportFileError(TaskforceError):
    """The file cannot be restored."""


@dataclass
class Restored:
    """How many rows of each table were restored."""

    counts: dict[str, int] = field(default_factory=dict)


def snapshot_sessions(engine: Engine) -> sessionmaker[Session]:
    """Read-only sessions that see one moment of the database throughout.

    On PostgreSQL the transaction is REPEATABLE READ, so rows written while the
    export runs are in none of its tables rather than in some.
    """
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    return reader_factory(engine)


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _surrogate(table: Table) -> Column[Any] | None:
    """The integer `id` primary key the database numbers itself, if the table has one."""
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and keys[0].name == "id":
        return keys[0]
    return None


def _references(table: Table) -> dict[str, str]:
    """Columns of `table` that hold another exported row's id, and that row's table."""
    found: dict[str, str] = {}
    for column in table.columns:
        for foreign in column.foreign_keys:
            target = foreign.column.table.name
            if target in KEY_COLUMNS and foreign.column.name == "id":
                found[column.name] = target
    return found


def _reference_name(column: str) -> str:
    return column.removesuffix("_id")


def _encode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value, validate=True)
    if isinstance(column.type, UTCDateTime):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone")
        return moment
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def _taskforce_version() -> str:
    try:
        return metadata.version("taskforce")
    except metadata.PackageNotFoundError:
        return "unknown"


def _migration(session: Session) -> str | None:
    # The table name is a constant of db.migrate, never input.
    query = text(f"SELECT version_num FROM {migrate.VERSION_TABLE}")  # nosec B608
    return session.execute(query).scalar_one_or_none()


def header(session: Session, *, now: datetime) -> dict[str, Any]:
    """The first line: what wrote the file, when, and at which schema."""
    return {
        "type": "header",
        "format": FORMAT,
        "taskforce_version": _taskforce_version(),
        "exported_at": now.isoformat(),
        "migration": _migration(session),
        "dialect": session.connection().dialect.name,
    }


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Every exported row as one line's object (without the header), in restore order."""
    names: dict[str, dict[Any, Any]] = {}
    for name in EXPORTED:
        table = _table(name)
        surrogate = _surrogate(table)
        references = _references(table)
        hidden = SECRET_COLUMNS.get(name, frozenset())
        order = [surrogate] if surrogate is not None else list(table.primary_key.columns)
        key_columns = KEY_COLUMNS.get(name)
        own: dict[Any, Any] = {}
        names[name] = own
        if surrogate is not None and name in references.values() and key_columns is not None:
            # A row may refer to one of its own table written after it (a parent).
            (natural,) = key_columns
            own.update(
                (row[0], row[1]) for row in session.execute(select(surrogate, table.c[natural]))
            )
        rows = session.execute(select(table).order_by(*order), execution_options={"yield_per": 500})
        for row in rows.mappings():
            data: dict[str, Any] = {}
            for column in table.columns:
                if column is surrogate or column.name in hidden:
                    continue
                value = row[column.name]
                if column.name in references:
                    target = references[column.name]
                    data[_reference_name(column.name)] = (
                        None if value is None else names[target][value]
                    )
                else:
                    data[column.name] = _encode(column, value)
            if surrogate is not None and key_columns is not None:
                parts = [
                    data[_reference_name(c)] if c in references else data[c] for c in key_columns
                ]
                own[row[surrogate.name]] = parts[0] if len(parts) == 1 else parts
            yield {"type": name, "row": data}


def write_export(session: Session, *, now: datetime) -> Iterator[str]:
    """The file's lines, header first, each a JSON object without its newline."""
    yield json.dumps(header(session, now=now), ensure_ascii=False, sort_keys=True)
    for line in export_rows(session):
        yield json.dumps(line, ensure_ascii=False, sort_keys=True)


def existing_rows(session: Session) -> dict[str, int]:
    """What an import target already holds, that restoring would collide with."""
    counts: dict[str, int] = {}
    for name in ("commitments", "people", "meetings"):
        table = _table(name)
        counts[name] = session.execute(select(func.count()).select_from(table)).scalar_one()
    return counts


def _fail(source: str, number: int, reason: str) -> ExportFileError:
    return ExportFileError(f"{source} line {number}: {reason}")


def _check_header(session: Session, line: Any, *, source: str) -> None:
    if not isinstance(line, dict) or line.get("type") != "header":
        raise _fail(source, 1, "not a taskforce export (the first line is not its header)")
    if line.get("format") != FORMAT:
        raise _fail(
            source, 1, f"export format {line.get('format')!r}; this taskforce reads {FORMAT}"
        )
    here = _migration(session)
    if line.get("migration") != here:
        raise _fail(
            source,
            1,
            f"exported at schema {line.get('migration')}, but this database is at {here};"
            " restore with the taskforce version that wrote it",
        )


def restore(session: Session, lines: Iterable[str], *, source: str) -> Restored:
    """Add every row of an export to an empty database, in the caller's transaction.

    Refuses a database that already holds commitments, people or meetings. Pipeline
    versions the database registered itself are kept when they are the same (same
    checksum) and refused when they differ. Events go in with their own seq and
    times: the append-only triggers refuse only changes, never new rows.
    """
    held = {name: count for name, count in existing_rows(session).items() if count}
    if held:
        listed = ", ".join(f"{count} {name}" for name, count in held.items())
        raise ExportFileError(f"the database is not empty ({listed}); restore needs an empty one")

    ids: dict[str, dict[Any, int]] = {name: {} for name in KEY_COLUMNS}
    parents: list[tuple[int, str, int]] = []
    restored = Restored()
    reached = 0
    seen_header = False
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as error:
            raise _fail(source, number, f"not JSON ({error.msg})") from None
        if not seen_header:
            _check_header(session, line, source=source)
            seen_header = True
            continue
        if not isinstance(line, dict) or not isinstance(line.get("row"), dict):
            raise _fail(source, number, "not a row (an object with `type` and `row`)")
        name = line.get("type")
        if name not in EXPORTED:
            raise _fail(source, number, f"unknown type {name!r}")
        position = EXPORTED.index(name)
        if position < reached:
            raise _fail(source, number, f"{name} after {EXPORTED[reached]}: out of order")
        reached = position
        _restore_row(session, name, line["row"], ids, parents, source=source, number=number)
        restored.counts[name] = restored.counts.get(name, 0) + 1
    if not seen_header:
        raise ExportFileError(f"{source}: empty, not a taskforce export")
    commitments = _table("commitments")
    for child, parent_key, number in parents:
        parent = ids["commitments"].get(parent_key)
        if parent is None:
            raise _fail(source, number, f"parent {parent_key!r} is not in the file")
        session.execute(
            update(commitments).where(commitments.c.id == child).values(parent_id=parent)
        )
    return restored


def _restore_row(
    session: Session,
    name: str,
    data: dict[str, Any],
    ids: dict[str, dict[Any, int]],
    parents: list[tuple[int, str, int]],
    *,
    source: str,
    number: int,
) -> None:
    table = _table(name)
    surrogate = _surrogate(table)
    references = _references(table)
    hidden = SECRET_COLUMNS.get(name, frozenset())
    values: dict[str, Any] = {}
    deferred_parent: str | None = None
    for column in table.columns:
        if column is surrogate or column.name in hidden:
            continue
        if column.name in references:
            label = _reference_name(column.name)
            if label not in data:
                raise _fail(source, number, f"{name}: `{label}` is missing")
            value = data[label]
            if value is None:
                values[column.name] = None
                continue
            target = references[column.name]
            lookup = tuple(value) if isinstance(value, list) else value
            found = ids[target].get(lookup)
            if found is None and name == "commitments" and column.name == "parent_id":
                # A parent written after its child: linked once every commitment is in.
                deferred_parent = str(value)
                values[column.name] = None
                continue
            if found is None:
                raise _fail(source, number, f"{name}: {label} {value!r} is not in the file")
            values[column.name] = found
            continue
        if column.name not in data and column.nullable and column.name in ADDED_LATER:
            # A file written before the column existed: the value was never there.
            values[column.name] = None
            continue
        if column.name not in data:
            raise _fail(source, number, f"{name}: `{column.name}` is missing")
        try:
            values[column.name] = _decode(column, data[column.name])
        except (TypeError, ValueError) as error:
            raise _fail(source, number, f"{name}: `{column.name}`: {error}") from None
    if name == "pipeline_versions" and _same_version_registered(session, values, source, number):
        return
    statement = insert(table).values(**values)
    if surrogate is not None:
        statement = statement.returning(surrogate)
    try:
        result = session.execute(statement)
    except DBAPIError as error:
        reason = " ".join(str(error.orig).split())
        raise _fail(source, number, f"{name}: the database refused the row: {reason}") from None
    if surrogate is None:
        return
    new_id = int(result.scalar_one())
    key_columns = KEY_COLUMNS.get(name)
    if key_columns is not None:
        parts = tuple(data[_reference_name(c)] if c in references else data[c] for c in key_columns)
        ids[name][parts[0] if len(parts) == 1 else parts] = new_id
    if deferred_parent is not None:
        parents.append((new_id, deferred_parent, number))


def _same_version_registered(
    session: Session, values: dict[str, Any], source: str, number: int
) -> bool:
    """Whether the database registered this very version itself (on opening)."""
    table = _table("pipeline_versions")
    checksum = session.execute(
        select(table.c.checksum).where(
            table.c.key == values["key"], table.c.version == values["version"]
        )
    ).scalar_one_or_none()
    if checksum is None:
        return False
    if checksum != values["checksum"]:
        raise _fail(
            source,
            number,
            f"pipeline {values['key']} version {values['version']} is registered here"
            " with a different definition",
        )
    # The same definition: keep when and where it was first registered, as the file says.
    session.execute(
        update(table)
        .where(table.c.key == values["key"], table.c.version == values["version"])
        .values(origin=values["origin"], registered_at=values["registered_at"])
    )
    return True
