"""Evidence files in the database: stored once by SHA-256, linked to the events they came with."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.latest import is_latest, latest_seqs
from db.models import Commitment, Event, EventEvidence, Evidence
from states.evidence import CheckedFile


@dataclass(frozen=True)
class Attachment:
    """A file as one event holds it: the name it was given, its SHA-256, size and media type."""

    sha256: str
    name: str
    size: int
    media_type: str

    def as_record(self) -> dict[str, str | int]:
        return {
            "sha256": self.sha256,
            "name": self.name,
            "size": self.size,
            "media_type": self.media_type,
        }


def attach(
    session: Session, event_id: int, files: Sequence[CheckedFile], *, by: str, now: datetime
) -> tuple[Attachment, ...]:
    """Store each file unless the same bytes are already kept, and link them to the event."""
    if not files:
        return ()
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.flush()
    for file in {file.sha256: file for file in files}.values():
        session.execute(
            make_insert(Evidence)
            .values(
                sha256=file.sha256,
                size=file.size,
                media_type=file.media_type,
                content=file.content,
                uploaded_at=now,
                uploaded_by=by,
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
    session.execute(
        insert(EventEvidence),
        [
            {"event_id": event_id, "position": position, "sha256": file.sha256, "name": file.name}
            for position, file in enumerate(files, start=1)
        ],
    )
    return tuple(
        Attachment(sha256=f.sha256, name=f.name, size=f.size, media_type=f.media_type)
        for f in files
    )


def of_events(session: Session, event_ids: Iterable[int]) -> dict[int, tuple[Attachment, ...]]:
    """The files attached to each of `event_ids`, in the order they were given."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            EventEvidence.event_id,
            EventEvidence.sha256,
            EventEvidence.name,
            Evidence.size,
            Evidence.media_type,
        )
        .join(Evidence, Evidence.sha256 == EventEvidence.sha256)
        .where(EventEvidence.event_id.in_(ids))
        .order_by(EventEvidence.event_id, EventEvidence.position)
    )
    found: dict[int, list[Attachment]] = {}
    for event_id, sha256, name, size, media_type in rows:
        found.setdefault(event_id, []).append(
            Attachment(sha256=sha256, name=name, size=size, media_type=media_type)
        )
    return {event_id: tuple(files) for event_id, files in found.items()}


@dataclass(frozen=True)
class Download:
    """A file to send back: its bytes, media type, a name it was given, and where it belongs."""

    content: bytes
    media_type: str
    name: str
    jurisdictions: tuple[str, ...]


def download(session: Session, sha256: str) -> Download | None:
    """The file with `sha256` and the jurisdictions of every item it is attached to, or None."""
    evidence = session.get(Evidence, sha256.lower())
    if evidence is None:
        return None
    rows = session.execute(
        select(EventEvidence.name, Commitment.jurisdiction)
        .join(Event, Event.id == EventEvidence.event_id)
        .join(Commitment, Commitment.id == Event.commitment_id)
        .where(EventEvidence.sha256 == evidence.sha256)
        .order_by(EventEvidence.event_id, EventEvidence.position)
    ).all()
    if not rows:
        return None
    return Download(
        content=evidence.content,
        media_type=evidence.media_type,
        name=rows[0].name,
        jurisdictions=tuple(dict.fromkeys(row.jurisdiction for row in rows)),
    )


def latest_notes(session: Session, commitment_ids: Iterable[int]) -> dict[int, Event]:
    """The latest remark on each of `commitment_ids` that has one."""
    ids = list(commitment_ids)
    if not ids:
        return {}
    latest = latest_seqs(Event.commitment_id.in_(ids), Event.kind == "note")
    rows = session.scalars(select(Event).join(latest, is_latest(latest)))
    return {event.commitment_id: event for event in rows}


def latest_note_texts(
    session: Session, where: ColumnElement[bool], *, ids: Collection[int] | None = None
) -> dict[str, str]:
    """The text of the latest remark on each commitment matching `where`, by key.

    One line each, spaces collapsed; "" when the remark only attached files. `ids`, when
    given, names the commitments to read (a page of them), so only their events are read.
    """
    among = () if ids is None else (Event.commitment_id.in_(ids),)
    latest = latest_seqs(Event.kind == "note", *among)
    rows = session.execute(
        select(Commitment.key, Event.comment)
        .join(latest, latest.c.commitment_id == Commitment.id)
        .join(Event, is_latest(latest))
        .where(where)
    )
    return {key: " ".join((comment or "").split()) for key, comment in rows}


def kept_for(session: Session, commitment_id: int, hashes: Collection[str]) -> set[str]:
    """Those of `hashes` that are files already attached to an event of the commitment."""
    wanted = [value for value in hashes if len(value) == 64]
    if not wanted:
        return set()
    rows = session.scalars(
        select(EventEvidence.sha256)
        .join(Event, Event.id == EventEvidence.event_id)
        .where(Event.commitment_id == commitment_id, EventEvidence.sha256.in_(wanted))
    )
    return set(rows)
