"""Pipeline versions as registered in the database.

A definition file is the source of new versions; the database keeps every
version ever registered, so a commitment can always be moved by the exact
definition it started with.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import PipelineVersion
from states.catalogue import Catalogue, Source
from states.definition import Pipeline
from states.errors import VersionConflictError


def register(session: Session, catalogue: Catalogue, *, now: datetime) -> list[Pipeline]:
    """Record new pipeline versions from `catalogue`; returns the ones added.

    A definition that changed but kept its version number is refused: commitments
    already on that version must keep meaning what they meant.
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
                    title=pipeline.title,
                    checksum=pipeline.checksum(),
                    definition=pipeline.canonical_json(),
                    origin=origin,
                    registered_at=now,
                )
            )
            added.append(pipeline)
        elif row.checksum != pipeline.checksum():
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
