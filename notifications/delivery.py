"""Delivering the outbox: claim batches, send them over one connection, record each send at once.

No database transaction is open while a message is on its way: the claim
commits before the first send, and each message is marked sent in a small
transaction of its own right after the server took it. A crash between a send
and its mark therefore repeats at most that one message, and the repeat carries
the same Message-ID (derived from the outbox row), so it is recognisably the
same message. A retry that finds the row no longer pending does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from notifications.failures import classify
from notifications.message import (
    Content,
    MalformedMessageError,
    build_message,
    message_id_for,
    sender_address,
)
from notifications.transport import (
    ServerUnreachableError,
    SmtpConfig,
    Transport,
    TransportFactory,
    transport_factory,
)
from states.catalogue import Catalogue
from states.errors import (
    ConfigurationError,
    DeadLetteredError,
    MailUnavailableError,
    TaskforceError,
)
from states.retry import Failure, Retry, decide

BATCH_SIZE = 50
LEASE = timedelta(minutes=10)
# A run gives up on the server after this many connections broke under a message: a
# server that hangs costs the SMTP timeout each time, and the next run comes soon.
MAX_CONNECTION_FAILURES = 5

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
    """What one delivery run did; `remaining` counts the messages still pending after it.

    `deferred` lists messages passed over, untried, because the connection broke
    on an earlier message to the same recipient in this run. `stopped` says why
    the run ended while messages were still due (the server could not be
    reached, or the connection broke too often); None when it ran to the end.
    """

    sent: list[int] = field(default_factory=list)
    retried: list[Failed] = field(default_factory=list)
    dead: list[Failed] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    connection_failures: int = 0
    stopped: str | None = None
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
            "deferred": self.deferred,
            "connection_failures": self.connection_failures,
            "stopped": self.stopped,
            "remaining": self.remaining,
        }


def needs_attention(report: Mapping[str, Any]) -> TaskforceError | None:
    """The error an operator should see after this run, if any (a report from `as_dict`).

    The server could not be reached (or kept breaking the connection), or
    messages were dead-lettered: the messages themselves are safe in the outbox.
    """
    if report["stopped"]:
        return MailUnavailableError(
            f"{report['stopped']}; the messages stay in the outbox for the next run"
        )
    dead = report["dead"]
    if dead:
        ids = ", ".join(str(f["id"]) for f in dead)
        return DeadLetteredError(
            f"{len(dead)} message(s) dead-lettered in this run ({ids}): each keeps its last"
            " error in the outbox and is sent again only once re-queued"
        )
    return None


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
    max_connection_failures: int = MAX_CONNECTION_FAILURES,
    rng: Random | None = None,
) -> DeliveryReport:
    """Send every message due, batch by batch, until none is left.

    Times (what is due, leases, sent_at, retry times) come from `clock`; with
    `now` and no clock, the run happens as of `now` (a replay, or a test);
    with neither, as of the real time. Each run takes each message at most
    once: a message that failed waits for its retry time and a later run.

    One message that breaks the connection (a drop, a timeout) fails alone: it
    is retried after its backoff, the other messages to its recipient wait for
    the next run, and the run goes on over a new connection. After
    `max_connection_failures` of those, or when no connection can be opened at
    all, the run stops, gives back what it had not tried, and says why in
    `stopped`.
    """
    try:
        sender_address(from_addr)
    except MalformedMessageError as error:
        # A bad From would dead-letter every message: refuse to start instead.
        raise ConfigurationError(f"mail_from: {error.message}") from None
    tick: Clock = clock or ((lambda: now) if now is not None else _utc_now)
    run = _Run(
        sessions,
        render,
        DeliveryReport(),
        from_addr=from_addr,
        tick=tick,
        max_attempts=max_attempts,
        max_connection_failures=max_connection_failures,
        rng=rng or Random(),
    )
    cursor = 0
    with ExitStack() as stack:
        transport: Transport | None = None
        while True:
            moment = tick()
            with transaction(sessions) as session:
                batch = outbox.claim(
                    session, now=moment, limit=batch_size, lease=lease, after=cursor
                )
                claimed = [_Claimed(row.id, row.recipient_email, row.attempts) for row in batch]
            if not claimed:
                break
            cursor = claimed[-1].id
            if transport is None:
                try:
                    transport = stack.enter_context(transports())
                except ServerUnreachableError as error:
                    run.unreachable(error)
                    run.give_back(claimed)
                    break
            # Half the lease: the message on its way when this passes has the other half
            # to finish before another worker may claim it.
            if not run.send(transport, claimed, stop_at=moment + lease / 2):
                break
    with transaction(sessions) as session:
        run.report.remaining = (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending")
            )
            or 0
        )
    return run.report


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient: str
    attempts: int


@dataclass
class _Run:
    """One delivery run: claimed batches on their way out over one transport."""

    sessions: sessionmaker[Session]
    render: Render
    report: DeliveryReport
    from_addr: str
    tick: Clock
    max_attempts: int
    max_connection_failures: int
    rng: Random
    # Recipients whose message broke the connection this run: their other messages wait.
    broken: set[str] = field(default_factory=set)

    def send(self, transport: Transport, claimed: list[_Claimed], *, stop_at: datetime) -> bool:
        """Send each message of a batch; False if the run should stop.

        What was not tried is given back for the next claim: messages passed
        over, those left when the connection cannot be opened again or failed
        too often, and those left when half the lease has passed (another
        worker may take them once it ends).
        """
        tried: set[int] = set()
        try:
            for item in claimed:
                if self.tick() >= stop_at:
                    return True
                if item.recipient.lower() in self.broken:
                    self.report.deferred.append(item.id)
                    continue
                # Counted before the send: if marking it fails, it is not given back
                # but stays leased, so nobody sends it again straight away.
                tried.add(item.id)
                try:
                    failure = self._send_one(transport, item)
                except ServerUnreachableError as error:
                    tried.discard(item.id)  # never reached the server: given back untried
                    self.unreachable(error)
                    return False
                if failure is not None and failure.connection:
                    self.broken.add(item.recipient.lower())
                    self.report.connection_failures += 1
                    if self.report.connection_failures >= self.max_connection_failures:
                        self.report.stopped = (
                            f"the connection to the mail server broke"
                            f" {self.report.connection_failures} times in this run"
                            f" (last: {failure.description})"
                        )
                        return False
            return True
        finally:
            self.give_back([item for item in claimed if item.id not in tried])

    def unreachable(self, error: ServerUnreachableError) -> None:
        """Record that no connection could be opened: the run ends here."""
        self.report.stopped = (
            f"the mail server at {error.where} could not be reached:"
            f" {classify(error.cause).description}"
        )

    def give_back(self, items: list[_Claimed]) -> None:
        """Release claimed messages untried, for the next claim (no try counted)."""
        if items:
            with transaction(self.sessions) as session:
                outbox.release(session, [item.id for item in items])

    def _send_one(self, transport: Transport, item: _Claimed) -> Failure | None:
        """Build and send one message, then mark it; how it failed, if it did."""
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
        except ServerUnreachableError:
            raise
        except Exception as error:
            failure = classify(error)
            self._failed(item, failure)
            return failure
        with transaction(self.sessions) as session:
            marked = outbox.mark_sent(session, item.id, message_id=identity, sent_at=self.tick())
        (self.report.sent if marked else self.report.skipped).append(item.id)
        return None

    def _failed(self, item: _Claimed, failure: Failure) -> None:
        at = self.tick()
        decision = decide(
            failure, item.attempts + 1, max_attempts=self.max_attempts, now=at, rng=self.rng
        )
        with transaction(self.sessions) as session:
            if not outbox.mark_failed(session, item.id, decision, error=failure.description):
                self.report.skipped.append(item.id)
                return
        if isinstance(decision, Retry):
            self.report.retried.append(
                Failed(item.id, item.recipient, failure.description, decision.at)
            )
        else:
            self.report.dead.append(Failed(item.id, item.recipient, failure.description, None))


def _utc_now() -> datetime:
    return datetime.now(UTC)
