"""The mail server misbehaving, for real (aiosmtpd), on each kind of database.

One recipient among many is poisoned: the server answers 4xx or 5xx at RCPT or
after DATA for every message to them, drops the connection once their data is
in, or goes silent until the client's timeout. Healthy mail must keep flowing
(every healthy message sent in the first run), the poisoned messages must be
retried or dead-lettered as states.retry says, and nothing may be lost or sent
twice. A server that cannot be reached at all (refused, a 421 greeting, no
greeting) ends the run without touching a message, and says so.

The messages come from a real sweep of the bundled meeting, cut to 30 to keep
the tests quick: the first 6 to the recipient with the most messages, who is
the poisoned one, among the first 24 to everybody else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from random import Random
from typing import Any

import pytest
from smtp_server import Fault, Greeting, SmtpServer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import OutboxMessage
from db.sweep import SweepReport
from notifications.delivery import MAX_CONNECTION_FAILURES, DeliveryReport, deliver
from notifications.message import message_id_for
from notifications.transport import SmtpConfig, SmtpTransport
from states.catalogue import Catalogue

LONG_AFTER = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)  # a Monday: escalations at every level
FROM = "Task Force Secretariat <taskforce@example.org>"
# Past any backoff of the first tries (30 s, 60 s, ...): each run finds them due again.
RUN_EVERY = timedelta(hours=1)
# The SMTP timeout: small where a server goes silent, so that costs the tests little, yet
# generous beside a round trip to a local server.
TIMEOUT_SECONDS = 5.0
SILENT_TIMEOUT_SECONDS = 1.0
POISONED_KEPT = 6
HEALTHY_KEPT = 24


@dataclass(frozen=True)
class Plain:
    subject: str
    text: str
    html: str


def plain(session: Session, row: OutboxMessage) -> Plain:
    """A stand-in for the templates: these tests are about delivery, not what letters say."""
    return Plain(row.subject, f"{row.subject}\n", f"<p>{escape(row.subject)}</p>")


def rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@dataclass
class Mail:
    """The queued outbox, the server, and delivery runs an hour apart."""

    sessions: sessionmaker[Session]
    server: SmtpServer
    queued: list[OutboxMessage]
    poisoned: str
    timeout: float = TIMEOUT_SECONDS
    runs: int = 0

    def run(self, **options: Any) -> DeliveryReport:
        moment = LONG_AFTER + self.runs * RUN_EVERY
        self.runs += 1
        config = SmtpConfig(host=self.server.host, port=self.server.port, timeout=self.timeout)
        return deliver(
            self.sessions,
            lambda: SmtpTransport(config),
            plain,
            from_addr=FROM,
            now=moment,
            rng=Random(self.runs),
            **options,
        )

    def ids(self, *, poisoned: bool) -> list[int]:
        return [m.id for m in self.queued if (m.recipient_email == self.poisoned) == poisoned]

    def assert_nothing_lost_or_doubled(self) -> dict[str, list[int]]:
        """Every message sent once or dead with its error; the server saw each sent one once."""
        by_status: dict[str, list[int]] = {"sent": [], "dead": [], "pending": []}
        stored = rows(self.sessions)
        for row in stored:
            by_status[row.status].append(row.id)
        assert by_status["pending"] == []
        assert all(row.last_error for row in stored if row.status == "dead")
        expected = Counter(message_id_for(row, FROM) for row in stored if row.status == "sent")
        assert self.server.message_ids() == expected
        return by_status


@pytest.fixture
def mail(
    loaded: Catalogue,
    sweep: Callable[..., SweepReport],
    sessions: sessionmaker[Session],
    smtp_server: SmtpServer,
) -> Iterator[Mail]:
    """A real sweep's outbox, cut to the poisoned recipient's first few messages among others."""
    sweep(LONG_AFTER)
    queued = rows(sessions)
    poisoned, count = Counter(m.recipient_email for m in queued).most_common(1)[0]
    assert count >= POISONED_KEPT
    theirs = [m.id for m in queued if m.recipient_email == poisoned][:POISONED_KEPT]
    others = [m.id for m in queued if m.recipient_email != poisoned][:HEALTHY_KEPT]
    # The poisoned recipient's first message comes early, with healthy mail behind it.
    assert theirs[0] < others[-1]
    kept = set(theirs + others)
    with transaction(sessions) as session:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.not_in(kept)))
    yield Mail(sessions, smtp_server, [m for m in queued if m.id in kept], poisoned)


# -- one poisoned recipient among many ---------------------------------------------------------

REPLIES = [
    pytest.param("450 4.2.1 <x>: mailbox busy", "rcpt", id="4xx-rcpt"),
    pytest.param("451 4.3.0 local error in processing", "data", id="4xx-data"),
    pytest.param("421 4.7.0 too many errors, closing", "rcpt", id="421-rcpt"),
]


@pytest.mark.parametrize(("reply", "at"), REPLIES)
def test_a_temporary_refusal_of_one_recipient_holds_back_only_their_mail(
    mail: Mail, reply: str, at: str
) -> None:
    mail.server.poison(mail.poisoned, reply=reply, at=at)

    first = mail.run()

    poisoned = mail.ids(poisoned=True)
    assert first.sent == mail.ids(poisoned=False)
    assert [f.id for f in first.retried] == poisoned
    assert first.dead == [] and first.stopped is None
    assert {f.error for f in first.retried} == {
        f"recipient refused: {mail.poisoned}: {reply}"
        if at == "rcpt"
        else f"the server answered {reply}"
    }

    mail.server.cure()
    second = mail.run()
    assert second.sent == poisoned and second.remaining == 0
    assert mail.assert_nothing_lost_or_doubled()["dead"] == []


@pytest.mark.parametrize(
    ("reply", "at"),
    [
        pytest.param("550 5.1.1 <x>: no such user", "rcpt", id="5xx-rcpt"),
        pytest.param("554 5.7.1 message rejected", "data", id="5xx-data"),
    ],
)
def test_a_permanent_refusal_is_tried_twice_then_dead_lettered_and_others_flow(
    mail: Mail, reply: str, at: str
) -> None:
    mail.server.poison(mail.poisoned, reply=reply, at=at)
    poisoned = mail.ids(poisoned=True)

    first = mail.run()
    assert first.sent == mail.ids(poisoned=False)
    assert [f.id for f in first.retried] == poisoned  # a 5xx gets one more try

    second = mail.run()
    assert second.sent == [] and [f.id for f in second.dead] == poisoned
    assert second.remaining == 0
    assert mail.assert_nothing_lost_or_doubled()["dead"] == poisoned
    assert mail.server.tried(mail.poisoned) == 2 * len(poisoned)


@pytest.mark.parametrize("fault", [Fault.DROP, Fault.HANG], ids=["drop-mid-data", "hang"])
def test_a_message_that_breaks_the_connection_fails_alone_and_healthy_mail_flows(
    mail: Mail, fault: Fault
) -> None:
    if fault is Fault.HANG:
        mail.timeout = SILENT_TIMEOUT_SECONDS
    mail.server.poison(mail.poisoned, fault)
    poisoned = mail.ids(poisoned=True)

    first = mail.run()

    # The first poisoned message failed; its recipient's others wait, untried; the
    # run went on over a new connection and sent every healthy message.
    assert first.sent == mail.ids(poisoned=False)
    assert [f.id for f in first.retried] == poisoned[:1]
    assert first.deferred == poisoned[1:]
    assert (first.connection_failures, first.stopped, first.dead) == (1, None, [])
    assert mail.server.tried(mail.poisoned) <= 2  # at most once more on a new connection
    expected = {
        Fault.DROP: "the server disconnected: Connection unexpectedly closed",
        Fault.HANG: "the server did not answer in time",
    }[fault]
    assert first.retried[0].error == expected
    stored = {row.id: row for row in rows(mail.sessions)}
    assert (stored[poisoned[0]].attempts, stored[poisoned[0]].last_error) == (1, expected)
    assert all((stored[i].attempts, stored[i].claimed_until) == (0, None) for i in poisoned[1:])

    if fault is Fault.DROP:
        # Still poisoned: each run spends one try on the recipient, the first message in line.
        second = mail.run()
        assert (second.sent, [f.id for f in second.retried]) == ([], poisoned[:1])
        assert second.deferred == poisoned[1:]

    mail.server.cure()
    rest = mail.run()
    assert rest.sent == poisoned and rest.remaining == 0
    assert mail.assert_nothing_lost_or_doubled()["dead"] == []


def test_a_run_gives_up_on_a_server_that_breaks_the_connection_again_and_again(
    mail: Mail,
) -> None:
    recipients = list(dict.fromkeys(m.recipient_email for m in mail.queued))
    broken = recipients[: MAX_CONNECTION_FAILURES + 1]
    for address in broken:
        mail.server.poison(address, Fault.DROP)

    first = mail.run()

    assert first.connection_failures == MAX_CONNECTION_FAILURES
    assert first.stopped is not None
    assert first.stopped.startswith(
        f"the connection to the mail server broke {MAX_CONNECTION_FAILURES} times in this run"
    )
    assert len(first.retried) == MAX_CONNECTION_FAILURES
    # What the run did not reach is given back untried, for the next run.
    untouched = [r for r in rows(mail.sessions) if r.status == "pending" and r.attempts == 0]
    assert untouched and all(r.claimed_until is None for r in untouched)

    mail.server.cure()
    mail.run()
    assert mail.assert_nothing_lost_or_doubled()["dead"] == []


# -- a server that cannot be reached -----------------------------------------------------------


@pytest.mark.parametrize(
    ("greeting", "says"),
    [
        pytest.param(None, "the server refused the connection", id="refused"),
        pytest.param(
            Greeting.BUSY,
            "the server refused us 421 4.3.2 Service not available, closing transmission channel",
            id="421-greeting",
        ),
        pytest.param(Greeting.SILENT, "the server did not answer in time", id="no-greeting"),
    ],
)
def test_a_server_that_cannot_be_reached_ends_the_run_and_touches_no_message(
    mail: Mail, greeting: Greeting | None, says: str
) -> None:
    if greeting is None:
        mail.server.stop()
    else:
        mail.server.greet(greeting)
        mail.timeout = SILENT_TIMEOUT_SECONDS

    report = mail.run()

    assert report.stopped == (
        f"the mail server at {mail.server.host}:{mail.server.port} could not be reached: {says}"
    )
    assert (report.sent, report.retried, report.dead) == ([], [], [])
    assert report.remaining == len(mail.queued)
    assert {(r.status, r.attempts, r.claimed_until) for r in rows(mail.sessions)} == {
        ("pending", 0, None)
    }

    mail.server.start()
    mail.server.greet(Greeting.NORMAL)
    after = mail.run()
    assert after.sent == [m.id for m in mail.queued] and after.stopped is None
    assert mail.assert_nothing_lost_or_doubled()["dead"] == []
