"""The digest flow: one run records each reader's digest of stalled items and queues it to send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from db.digest import record_digests, summary
from db.engine import transaction
from flows.retrying import unless_our_error
from flows.runtime import runtime


@task(
    name="record-digests",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=30,
    retry_condition_fn=unless_our_error,
)
def record(*, now: datetime) -> list[dict[str, Any]]:
    """Build, store and queue every reader's digest in one transaction; a retry repeats nothing."""
    current = runtime()
    with transaction(current.sessions) as session:
        digests = record_digests(session, current.catalogue, current.calendar, now=now)
        return [summary(digest) for digest in digests]


@flow(name="digest", log_prints=False)
def digest(now: datetime | None = None) -> list[dict[str, Any]]:
    """Record and queue the chair's and each chief secretary's digest; `now` replays a moment."""
    return record(now=now or datetime.now(UTC))
