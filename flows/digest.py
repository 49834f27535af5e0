"""The digest flow: one run records each reader's digest of stalled items and queues it to send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from db.digest import record_digests, summary
from db.engine import transaction
from flows import reporting
from flows.retrying import JITTER, LONG_RETRY_DELAYS, unless_our_error
from flows.runtime import runtime


# The digest comes once a week: its retries wait out an outage of about an hour.
@task(
    name="record-digests",
    cache_policy=NO_CACHE,
    retries=len(LONG_RETRY_DELAYS),
    retry_delay_seconds=LONG_RETRY_DELAYS,
    retry_jitter_factor=JITTER,
    retry_condition_fn=unless_our_error,
)
def record(*, now: datetime) -> list[dict[str, Any]]:
    """Build, store and queue every reader's digest in one transaction; a retry repeats nothing."""
    current = runtime()
    with transaction(current.sessions) as session:
        digests = record_digests(session, current.catalogue, current.calendar, now=now)
        return [summary(digest) for digest in digests]


@flow(name="digest", flow_run_name=reporting.run_name("digest"), log_prints=False)
def digest(now: datetime | None = None) -> list[dict[str, Any]]:
    """Record and queue the chair's and each chief secretary's digest; `now` replays a moment."""
    # The moment is fixed once, so every retry records the digest of the same moment.
    digests = record(now=now or datetime.now(UTC))
    reporting.publish(
        "digest-report", reporting.digest_summary(digests), reporting.digest_markdown(digests)
    )
    return digests
