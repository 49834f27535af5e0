"""The sweep flow: one run escalates every stalled commitment, in set-based SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from db.sweep import run_sweep
from flows import reporting
from flows.retrying import JITTER, RETRY_DELAYS, unless_our_error
from flows.runtime import runtime


# A retry re-opens the runtime too, so a database that was down when the run started is
# tried again; nothing already recorded is recorded twice.
@task(
    name="sweep-commitments",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_jitter_factor=JITTER,
    retry_condition_fn=unless_our_error,
)
def sweep_commitments(*, now: datetime) -> dict[str, Any]:
    """Roll up, lapse, escalate and remind; a retry repeats nothing already recorded."""
    current = runtime()
    report = run_sweep(current.sessions, current.catalogue, current.calendar, now=now)
    return report.as_dict()


@flow(name="sweep", flow_run_name=reporting.run_name("sweep"), log_prints=False)
def sweep(now: datetime | None = None) -> dict[str, Any]:
    """Find stalled commitments and escalate them; `now` replays a moment (default: the clock)."""
    report = sweep_commitments(now=now or datetime.now(UTC))
    reporting.publish(
        "sweep-report", reporting.sweep_summary(report), reporting.sweep_markdown(report)
    )
    return report
