"""Pipeline versions as registered in the database.

A definition file is the source of new versions; the database keeps every
version ever registered, so a commitment can always be moved by the exact
definition it started with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

import states
from db.models import PipelineSource, PipelineVersion
from states.catalogue import Catalogue, Source, pipeline_files
from states.definition import Pipeline
from states.errors import VersionConflictError


def register_files(session: Session, directories: Sequence[Path], *, now: datetime) -> bool:
    """Register the pipeline files in `directories`; False if they already were.

    Reading and checking every file is most of a command's start-up, so files
    already registered as they are, by the same rules, are recognised by their
    digest with one query and not read again.
    """
    digest = sources_digest(directories)
    if session.get(PipelineSource, digest) is not None:
        return False
    register(session, Catalogue.from_directories(directories), now=now)
    # Imported here, as only registering needs them: the PostgreSQL dialect alone is 30 ms.
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Two processes starting at once may both register the same files: the first row stays.
    session.execute(
        insert(PipelineSource)
        .values(digest=digest, registered_at=now)
        .on_conflict_do_nothing(index_elements=["digest"])
    )
    return True


def sources_digest(directories: Sequence[Path]) -> str:
    """A digest of the pipeline files, in order, and of the rules that check them.

    The rules (the source of `states`) are in it because a changed check could
    refuse a file it accepted before: that file must be read again.
    """
    digest = hashlib.sha256()
    rules = sorted(Path(states.__file__).parent.glob("*.py"))
    named = [
        (f"{place}/{path.name}", path)
        for place, d in enumerate(directories)
        for path in pipeline_files([d])
    ]
    for name, path in [*named, *((f"states/{p.name}", p) for p in rules)]:
        content = path.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def register(session: Session, catalogue: Catalogue, *, now: datetime) -> list[Pipeline]:
    """Record new pipeline versions from `catalogue`; returns the ones added.

    A definition that changed but kept its version number is refused: commitments
    already on that version must keep meaning what they meant. A change of
    translations alone changes no rule and is stored in place.
    """
    stored = {(row.key, row.version): row for row in session.scalars(select(PipelineVersion))}
    added = []
    for pipeline in catalogue.all():
        row = stored.get((pipeline.key, pipeline.version))
        origin = catalogue.origin(pipeline.key, pipeline.version)
        if row is None:
            session.add(
                PipelineVersion(
                    key=pipeline.key,
                    version=pipeline.version,
                    title=pipeline.title.en,
                    checksum=pipeline.checksum(),
                    definition=pipeline.canonical_json(),
                    origin=origin,
                    registered_at=now,
                )
            )
            added.append(pipeline)
        elif row.checksum == pipeline.checksum():
            # Same rules, other translations: the stored text takes them, no version needed.
            if row.definition != pipeline.canonical_json():
                row.definition = pipeline.canonical_json()
        else:
            raise VersionConflictError(
                f"pipeline {pipeline.key!r} version {pipeline.version} in {origin} differs from"
                f" the version {pipeline.version} registered on {row.registered_at:%Y-%m-%d};"
                f" set version: {_next_version(stored, pipeline.key)} to publish the change"
                f" (commitments already started stay on version {pipeline.version})"
            )
    session.flush()
    return added


def _next_version(stored: dict[tuple[str, int], PipelineVersion], key: str) -> int:
    return max(version for k, version in stored if k == key) + 1


def registered(session: Session) -> Catalogue:
    """Every registered version, as the rules will apply them."""
    rows = session.scalars(select(PipelineVersion).order_by(PipelineVersion.key))
    return Catalogue(
        Source(Pipeline.model_validate_json(row.definition), row.origin) for row in rows
    )
