"""Delivering the outbox: claim a batch, send it over one connection, record each send at once.

No database transaction is open while a message is on its way: the claim
commits before the first send, and each message is marked sent in a small
transaction of its own right after the server took it. A crash between a send
and its mark therefore repeats at most that one message, and the repeat carries
the same Message-ID (derived from the outbox row), so it is recognisably the
same message. A retry that finds the row no longer pending does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any, Literal, Protocol

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db import outbox
from db.engine import transaction
from db.models import OutboxMessage
from notifications.message import (
    Content,
    MalformedMessageError,
    build_message,
    message_id_for,
    sender_address,
)
from notifications.retry import Retry, classify, retry_decision
from notifications.transport import SmtpConfig, Transport, TransportFactory, transport_factory
from states.catalogue import Catalogue
from states.errors import ConfigurationError

BATCH_SIZE = 50
LEASE = timedelta(minutes=10)
MAX_BATCHES = 200

Render = Callable[[Session, OutboxMessage], Content]
Clock = Callable[[], datetime]


class MailSettings(Protocol):
    """The mail settings delivery reads (taskforce.settings.Settings has them)."""

    @property
    def base_url(self) -> str: ...
    @property
    def mail_from(self) -> str: ...
    @property
    def mail_transport(self) -> Literal["smtp", "eml"]: ...
    @property
    def mail_dir(self) -> Path: ...
    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def smtp_username(self) -> str | None: ...
    @property
    def smtp_password(self) -> SecretStr | None: ...
    @property
    def smtp_starttls(self) -> bool: ...
    @property
    def smtp_timeout_seconds(self) -> float: ...
    @property
    def mail_max_attempts(self) -> int: ...


@dataclass(frozen=True)
class MailConfig:
    """Where mail comes from and how it leaves."""

    from_addr: str
    base_url: str
    transport: Literal["smtp", "eml"] = "smtp"
    mail_dir: Path = Path("mail-out")
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    max_attempts: int = 8

    def transports(self) -> TransportFactory:
        """Opens the configured transport, once per batch."""
        return transport_factory(self.transport, smtp=self.smtp, folder=self.mail_dir)


def mail_config(settings: MailSettings) -> MailConfig:
    """The mail configuration from the installation's settings."""
    password = settings.smtp_password
    return MailConfig(
        from_addr=settings.mail_from,
        base_url=settings.base_url,
        transport=settings.mail_transport,
        mail_dir=settings.mail_dir,
        smtp=SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        ),
        max_attempts=settings.mail_max_attempts,
    )


def composer(catalogue: Catalogue, *, base_url: str) -> Render:
    """The real renderer: each message composed from its templates and the database.

    Digests are composed from their stored content, every other kind by
    notifications.compose; imported here so that reading the mail settings
    does not load the templates.
    """
    from db.digest import DIGEST_KIND
    from notifications.compose import compose
    from notifications.digest import compose_digest
    from notifications.render import Renderer

    renderer = Renderer()

    def render(session: Session, message: OutboxMessage) -> Content:
        if message.kind == DIGEST_KIND:
            return compose_digest(session, message, renderer, base_url=base_url)
        return compose(session, message, renderer, catalogue, base_url=base_url)

    return render


@dataclass(frozen=True)
class Failed:
    """A message whose try failed this run: when it is due again, or None if it is dead."""

    id: int
    recipient: str
    error: str
    next_attempt_at: datetime | None


@dataclass
class DeliveryReport:
    """What one delivery run did; `remaining` counts the messages still pending after it."""

    sent: list[int] = field(default_factory=list)
    retried: list[Failed] = field(default_factory=list)
    dead: list[Failed] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    remaining: int = 0

    def as_dict(self) -> dict[str, Any]:
        def failed(f: Failed) -> dict[str, Any]:
            return {
                "id": f.id,
                "recipient": f.recipient,
                "error": f.error,
                "next_attempt_at": f.next_attempt_at.isoformat() if f.next_attempt_at else None,
            }

        return {
            "sent": self.sent,
            "retried": [failed(f) for f in self.retried],
            "dead": [failed(f) for f in self.dead],
            "skipped": self.skipped,
            "remaining": self.remaining,
        }


def deliver(
    sessions: sessionmaker[Session],
    transports: TransportFactory,
    render: Render,
    *,
    from_addr: str,
    now: datetime | None = None,
    clock: Clock | None = None,
    batch_size: int = BATCH_SIZE,
    lease: timedelta = LEASE,
    max_attempts: int = 8,
    max_batches: int = MAX_BATCHES,
    rng: Random | None = None,
) -> DeliveryReport:
    """Send every message due, batch by batch, until none is left or `max_batches` ran.

    Times (what is due, leases, sent_at, retry times) come from `clock`; with
    `now` and no clock, the run happens as of `now` (a replay, or a test);
    with neither, as of the real time. Each run takes each message at most
    once: a message that failed waits for its retry time and a later run.
    """
    try:
        sender_address(from_addr)
    except MalformedMessageError as error:
        # A bad From would dead-letter every message: refuse to start instead.
        raise ConfigurationError(f"mail_from: {error.message}") from None
    tick: Clock = clock or ((lambda: now) if now is not None else _utc_now)
    rng = rng or Random()
    report = DeliveryReport()
    cursor = 0
    for _ in range(max_batches):
        moment = tick()
        with transaction(sessions) as session:
            batch = outbox.claim(session, now=moment, limit=batch_size, lease=lease, after=cursor)
            claimed = [_Claimed(row.id, row.recipient_email, row.attempts) for row in batch]
        if not claimed:
            break
        cursor = claimed[-1].id
        run = _Batch(
            sessions,
            render,
            report,
            from_addr=from_addr,
            tick=tick,
            # Half the lease: the message on its way when this passes has the other half
            # to finish before another worker may claim it.
            stop_at=moment + lease / 2,
            max_attempts=max_attempts,
            rng=rng,
        )
        if not run.send(transports, claimed):
            break  # the server cannot be reached: the next run tries again
    with transaction(sessions) as session:
        report.remaining = (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending")
            )
            or 0
        )
    return report


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient: str
    attempts: int


@dataclass(frozen=True)
class _Batch:
    """One claimed batch on its way out over one transport."""

    sessions: sessionmaker[Session]
    render: Render
    report: DeliveryReport
    from_addr: str
    tick: Clock
    stop_at: datetime
    max_attempts: int
    rng: Random

    def send(self, transports: TransportFactory, claimed: list[_Claimed]) -> bool:
        """Send each message; False if the connection failed and the run should stop.

        A transport that cannot be opened counts a failed try for every claimed
        message. A connection lost during the batch counts one for the message
        being sent, and the untried rest are given back, as are any left when
        half the lease has passed (another worker may take them once it ends).
        """
        done = 0
        try:
            with ExitStack() as stack:
                try:
                    transport = stack.enter_context(transports())
                except Exception as error:
                    for item in claimed:
                        self._failed(item, error)
                    done = len(claimed)
                    return False
                for item in claimed:
                    if self.tick() >= self.stop_at:
                        return True
                    # Counted before the send: if marking it fails, it is not given back
                    # but stays leased, so nobody sends it again straight away.
                    done += 1
                    failure = self._send_one(transport, item)
                    if failure is not None and classify(failure).connection:
                        return False
                return True
        finally:
            if done < len(claimed):
                with transaction(self.sessions) as session:
                    outbox.release(session, [item.id for item in claimed[done:]])

    def _send_one(self, transport: Transport, item: _Claimed) -> Exception | None:
        """Build and send one message, then mark it; the error if it failed."""
        try:
            with transaction(self.sessions) as session:
                row = session.get(OutboxMessage, item.id)
                if row is None or row.status != "pending":
                    self.report.skipped.append(item.id)
                    return None
                identity = message_id_for(row, self.from_addr)
                message = build_message(
                    self.render(session, row),
                    to_name=row.recipient_name,
                    to_email=row.recipient_email,
                    from_addr=self.from_addr,
                    message_id=identity,
                    language=row.language,
                    outbox_id=row.id,
                    date=self.tick(),
                )
            transport.send(message)
        except Exception as error:
            self._failed(item, error)
            return error
        with transaction(self.sessions) as session:
            marked = outbox.mark_sent(session, item.id, message_id=identity, sent_at=self.tick())
        (self.report.sent if marked else self.report.skipped).append(item.id)
        return None

    def _failed(self, item: _Claimed, error: BaseException) -> None:
        at = self.tick()
        decision = retry_decision(
            error, item.attempts + 1, max_attempts=self.max_attempts, now=at, rng=self.rng
        )
        text = classify(error).description
        with transaction(self.sessions) as session:
            if not outbox.mark_failed(session, item.id, decision, error=text):
                self.report.skipped.append(item.id)
                return
        if isinstance(decision, Retry):
            self.report.retried.append(Failed(item.id, item.recipient, text, decision.at))
        else:
            self.report.dead.append(Failed(item.id, item.recipient, text, None))


def _utc_now() -> datetime:
    return datetime.now(UTC)
