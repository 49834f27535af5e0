"""The deliver flow: one run sends every outbox message that is due, batch by batch.

The run ends FAILED, after everything is recorded, when the mail server could
not be reached (or kept breaking the connection) or messages were dead-lettered:
an operator should look, while the messages stay safe in the outbox. Its counts
go to the run's log either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.retrying import unless_our_error
from flows.runtime import runtime
from notifications import delivery
from states.errors import ConfigurationError


# A retry re-runs the whole task; it sends only what is still pending, so nothing twice.
@task(
    name="deliver-outbox",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=30,
    retry_condition_fn=unless_our_error,
)
def deliver_outbox(*, now: datetime | None = None) -> dict[str, Any]:
    """Claim, send and mark the due messages; returns the delivery report."""
    current = runtime()
    mail = current.mail
    if mail is None:
        raise ConfigurationError(
            "this installation has no mail configuration; run the flow through taskforce/deploy.py"
        )
    report = delivery.deliver(
        current.sessions,
        mail.transports(),
        delivery.composer(current.catalogue, base_url=mail.base_url),
        from_addr=mail.from_addr,
        now=now,
        max_attempts=mail.max_attempts,
    )
    return report.as_dict()


@flow(name="deliver", log_prints=False)
def deliver(now: datetime | None = None) -> dict[str, Any]:
    """Send the outbox's due messages; `now` replays a moment (default: the clock, as it runs)."""
    report = deliver_outbox(now=now)
    logger = get_run_logger()
    logger.info(
        "sent %d, to retry %d, dead-lettered %d, deferred %d, broken connections %d;"
        " %d pending in the outbox",
        len(report["sent"]),
        len(report["retried"]),
        len(report["dead"]),
        len(report["deferred"]),
        report["connection_failures"],
        report["remaining"],
    )
    problem = delivery.needs_attention(report)
    if problem is not None:
        logger.error("%s", problem.message)
        raise problem
    return report
