"""When to try a failed message again, and when to stop: a pure rule.

The transport classifies what went wrong into a `Failure` (how final it is, and
whether the connection itself failed); `decide` turns it, and the number of
tries made so far, into a `Retry` at a time picked by exponential backoff with
full jitter, or a `DeadLetter`. `now` and the random source are arguments, so
the rule can be tested, and replayed, without a clock.

Three kinds of failure:

- temporary: the server or the network is not able to take the message now
  (connection refused or reset, a timeout, a disconnect, any 4xx reply, a login
  or STARTTLS problem on our side). Tried again with backoff; dead-lettered only
  after `max_attempts` tries.
- refused: the receiving side answered 5xx. Dead-lettered on the
  `REFUSED_ATTEMPTS`-th try (2): a 5xx is meant to be final, but relays do
  answer 5xx for a moment while a mailbox is being moved, a policy reloaded or
  a DNS record updated, and one more try after a backoff costs one message,
  while a wrongly dead-lettered escalation costs an officer's attention.
- malformed: the message itself cannot be sent as it stands (a line break in a
  header, an address that does not parse). Trying again cannot help, so it is
  dead-lettered at once; an operator fixes the data and re-queues it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from random import Random

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# Never retry in the same instant: a run must not pick a message it just failed up again.
BACKOFF_FLOOR = timedelta(seconds=1)
REFUSED_ATTEMPTS = 2


class Severity(StrEnum):
    """How final a failure is."""

    TEMPORARY = "temporary"
    REFUSED = "refused"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Failure:
    """A send failure, classified: how final it is, and what to keep as the last error."""

    severity: Severity
    description: str
    code: int | None = None
    # The connection broke while this message was on it (a drop, a timeout): the next
    # message needs a new connection, and a run stops after too many of these.
    connection: bool = False


@dataclass(frozen=True)
class Retry:
    """Try the message again at `at`."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class DeadLetter:
    """Stop trying; the message waits for an operator (`taskforce outbox retry`)."""

    reason: str


Decision = Retry | DeadLetter


def decide(
    failure: Failure, attempts: int, *, max_attempts: int, now: datetime, rng: Random
) -> Decision:
    """Retry later or dead-letter, after `attempts` tries (this failed one included)."""
    reason = f"{failure.description} ({failure.severity}, try {attempts})"
    if failure.severity is Severity.MALFORMED:
        return DeadLetter(reason)
    if failure.severity is Severity.REFUSED and attempts >= min(REFUSED_ATTEMPTS, max_attempts):
        return DeadLetter(reason)
    if attempts >= max_attempts:
        return DeadLetter(reason)
    return Retry(at=now + backoff(attempts, rng=rng), reason=reason)


def backoff(attempts: int, *, rng: Random) -> timedelta:
    """Full jitter: a uniform wait up to min(cap, base * 2^(attempts-1)), at least a second."""
    # 2^20 times the base is far past the cap already; the exponent stops growing there.
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(max(attempts - 1, 0), 20))
    wait = timedelta(seconds=rng.uniform(0, ceiling.total_seconds()))
    return max(wait, BACKOFF_FLOOR)
