"""What to do after a failed send: try again later, or give up and dead-letter the message.

Pure decisions, no I/O. `classify` reads an exception raised while building or
sending a message; `retry_decision` turns it, and the number of tries made so
far, into a `Retry` (with a time picked by exponential backoff with full jitter)
or a `DeadLetter`.

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

import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import HeaderParseError, MessageError
from enum import StrEnum
from random import Random

from notifications.message import MalformedMessageError

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
    # The connection itself failed: the other messages of the batch would fail the same way.
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


def classify(error: BaseException) -> Failure:
    """Temporary, refused (5xx) or malformed, with a one-line description of the error."""
    if isinstance(error, MalformedMessageError):
        return Failure(Severity.MALFORMED, error.message)
    if isinstance(error, HeaderParseError | MessageError):
        return Failure(Severity.MALFORMED, f"the message could not be built: {error}")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _recipients_refused(error)
    if isinstance(
        error, smtplib.SMTPAuthenticationError | smtplib.SMTPHeloError | smtplib.SMTPConnectError
    ):
        # Our credentials or our greeting: nothing wrong with the message itself.
        return Failure(
            Severity.TEMPORARY,
            _reply("the server refused us", error),
            error.smtp_code,
            connection=True,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        severity = Severity.REFUSED if 500 <= code < 600 else Severity.TEMPORARY
        return Failure(severity, _reply("the server answered", error), code)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return _lost(f"the server disconnected: {error or 'no reason given'}")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return _lost(f"the server does not support what we need: {error}")
    if isinstance(error, ssl.SSLError):
        return _lost(f"TLS failed: {error}")
    if isinstance(error, ConnectionRefusedError):
        return _lost("the server refused the connection")
    if isinstance(error, TimeoutError):
        return _lost("the server did not answer in time")
    if isinstance(error, socket.gaierror):
        return _lost(f"the server's name could not be resolved: {error}")
    if isinstance(error, OSError):
        return _lost(f"network error: {error}")
    # Anything else (a rendering bug, a template missing) may be fixed by a deploy: retry.
    return Failure(Severity.TEMPORARY, f"{type(error).__name__}: {error}")


def retry_decision(
    error: BaseException, attempts: int, *, max_attempts: int, now: datetime, rng: Random
) -> Decision:
    """Retry later or dead-letter, after `attempts` tries (this failed one included)."""
    failure = classify(error)
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


def _lost(description: str) -> Failure:
    return Failure(Severity.TEMPORARY, description, connection=True)


def _recipients_refused(error: smtplib.SMTPRecipientsRefused) -> Failure:
    replies = error.recipients
    codes = [code for code, _ in replies.values()]
    text = "; ".join(
        f"{address}: {code} {_text(reply)}" for address, (code, reply) in replies.items()
    )
    # Temporary only if every refusal was temporary: a 5xx for anyone is final for the message.
    if codes and all(400 <= code < 500 for code in codes):
        return Failure(Severity.TEMPORARY, f"recipient refused: {text}", max(codes))
    permanent = [code for code in codes if 500 <= code < 600]
    code = permanent[0] if permanent else (codes[0] if codes else None)
    severity = Severity.REFUSED if permanent else Severity.TEMPORARY
    return Failure(severity, f"recipient refused: {text}", code)


def _reply(prefix: str, error: smtplib.SMTPResponseException) -> str:
    return f"{prefix} {error.smtp_code} {_text(error.smtp_error)}".rstrip()


def _text(reply: bytes | str) -> str:
    raw = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(raw.split())
