"""The deliver flow: one run sends every outbox message that is due, batch by batch.

The run ends FAILED, after everything is recorded, when the mail server could
not be reached (or kept breaking the connection) or messages were dead-lettered:
an operator should look, while the messages stay safe in the outbox. Its counts
go to the run's log (and its report to an artifact) either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import reporting
from flows.retrying import JITTER, RETRY_DELAYS, unless_our_error
from flows.runtime import runtime
from notifications import delivery
from states.errors import ConfigurationError


# A retry re-runs the whole task (a database down when the run started is tried again);
# it sends only what is still pending, so nothing twice.
@task(
    name="deliver-outbox",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_jitter_factor=JITTER,
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


@flow(name="deliver", flow_run_name=reporting.run_name("deliver"), log_prints=False)
def deliver(now: datetime | None = None) -> dict[str, Any]:
    """Send the outbox's due messages; `now` replays a moment (default: the clock, as it runs)."""
    report = deliver_outbox(now=now)
    reporting.publish(
        "delivery-report", reporting.delivery_summary(report), reporting.delivery_markdown(report)
    )
    problem = delivery.needs_attention(report)
    if problem is not None:
        # Recorded already; failing the run is what makes an operator look.
        get_run_logger().error(problem.message)
        raise problem
    return report
