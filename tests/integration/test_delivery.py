"""Delivering the outbox to a real SMTP server (aiosmtpd), on each kind of database.

The messages come from a real sweep of the bundled meeting. Rendering here is a
plain function of the row's subject: these tests are about delivery (once,
retried, dead-lettered, never twice), not about what the letters say.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html import escape
from pathlib import Path
from random import Random
from typing import Any

import pytest
from smtp_server import SmtpServer
from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from db import outbox
from db.engine import make_engine, session_factory, transaction
from db.models import OutboxMessage
from db.sweep import SweepReport
from notifications.delivery import DeliveryReport, deliver
from notifications.message import OUTBOX_HEADER, message_id_for
from notifications.transport import SmtpConfig, SmtpTransport
from states.catalogue import Catalogue
from states.errors import ConfigurationError, TaskforceError

LONG_AFTER = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)  # a Monday: escalations at every level
FROM = "Task Force Secretariat <taskforce@example.org>"
LEASE = timedelta(minutes=10)
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Plain:
    subject: str
    text: str
    html: str


def plain(session: Session, row: OutboxMessage) -> Plain:
    """A stand-in for the templates: the row's subject, in text and in HTML."""
    return Plain(
        subject=row.subject,
        text=f"{row.subject}\n\nFor {row.recipient_name}.\n",
        html=f"<p>{escape(row.subject)}</p>",
    )


def smtp(server: SmtpServer) -> Callable[[], SmtpTransport]:
    return lambda: SmtpTransport(SmtpConfig(host=server.host, port=server.port, timeout=5))


def run(
    sessions: sessionmaker[Session],
    server: SmtpServer,
    *,
    now: datetime = LONG_AFTER,
    **options: Any,
) -> DeliveryReport:
    """One delivery run to the test server, as of `now`."""
    return deliver(sessions, smtp(server), plain, from_addr=FROM, now=now, rng=Random(1), **options)


def rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def queued(
    loaded: Catalogue, sweep: Callable[..., SweepReport], sessions: sessionmaker[Session]
) -> list[OutboxMessage]:
    """The outbox after a sweep long after the meeting: every message pending."""
    sweep(LONG_AFTER)
    messages = rows(sessions)
    assert len(messages) >= 10
    assert {m.status for m in messages} == {"pending"}
    return messages


def test_each_message_is_delivered_once_as_multipart_with_its_message_id(
    queued: list[OutboxMessage], sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    report = run(sessions, smtp_server, batch_size=7)

    assert report.sent == [m.id for m in queued]
    assert (report.retried, report.dead, report.remaining) == ([], [], 0)
    received = {r.message_id: r for r in smtp_server.messages}
    assert len(smtp_server.messages) == len(received) == len(queued)
    for row in queued:
        got = received[message_id_for(row, FROM)]
        assert got.rcpt_tos == (row.recipient_email,)
        assert got.mail_from == "taskforce@example.org"
        message = got.message
        assert message["Subject"] == row.subject
        assert message["To"].addresses[0].addr_spec == row.recipient_email
        assert message[OUTBOX_HEADER] == str(row.id)
        assert message["Content-Language"] == row.language
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert _text(message).startswith(row.subject)
    for row in rows(sessions):
        assert (row.status, row.attempts, row.sent_at) == ("sent", 1, LONG_AFTER)
        assert row.message_id == message_id_for(row, FROM)
        assert row.claimed_until is None

    again = run(sessions, smtp_server, now=LONG_AFTER + timedelta(days=1))
    assert (again.sent, again.retried, again.dead, again.remaining) == ([], [], [], 0)
    assert len(smtp_server.messages) == len(queued)


def test_a_temporary_refusal_is_retried_after_its_backoff(
    queued: list[OutboxMessage], sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    smtp_server.refuse(2, "421 4.3.2 System shutting down, try later")
    first = run(sessions, smtp_server)

    refused = [m.id for m in queued[:2]]
    assert [f.id for f in first.retried] == refused
    assert len(first.sent) == len(queued) - 2 and first.dead == []
    assert first.remaining == 2
    for row in rows(sessions)[:2]:
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error == "the server answered 421 4.3.2 System shutting down, try later"
        assert row.next_attempt_at is not None
        assert LONG_AFTER < row.next_attempt_at <= LONG_AFTER + timedelta(seconds=30)

    # Not due yet: a run at the same moment leaves them alone.
    assert run(sessions, smtp_server).sent == []
    later = run(sessions, smtp_server, now=LONG_AFTER + timedelta(seconds=31))

    assert later.sent == refused and later.remaining == 0
    assert set(smtp_server.message_ids().values()) == {1}
    assert len(smtp_server.messages) == len(queued)
    assert [(r.status, r.attempts) for r in rows(sessions)[:2]] == [("sent", 2)] * 2


def test_a_permanent_refusal_is_dead_lettered_and_can_be_queued_again(
    queued: list[OutboxMessage], sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    target = queued[0]
    smtp_server.refuse(1, "550 5.1.1 <x@example.org>: Recipient address rejected")
    first = run(sessions, smtp_server)
    # A 5xx gets one more try, in case the server spoke too soon.
    assert [f.id for f in first.retried] == [target.id]

    smtp_server.refuse(1, "550 5.1.1 <x@example.org>: Recipient address rejected")
    second = run(sessions, smtp_server, now=LONG_AFTER + timedelta(minutes=5))
    assert [f.id for f in second.dead] == [target.id]
    assert second.dead[0].next_attempt_at is None
    dead = rows(sessions)[0]
    assert (dead.status, dead.attempts, dead.next_attempt_at) == ("dead", 2, None)
    assert dead.last_error == (
        "the server answered 550 5.1.1 <x@example.org>: Recipient address rejected"
    )
    assert message_id_for(target, FROM) not in smtp_server.message_ids()
    # Dead is final: later runs do not touch it.
    assert run(sessions, smtp_server, now=LONG_AFTER + timedelta(days=1)).dead == []

    requeue_at = LONG_AFTER + timedelta(days=1, hours=1)
    with transaction(sessions) as session:
        assert outbox.retry(session, outbox.ALL_DEAD, now=requeue_at) == [target.id]
    again = rows(sessions)[0]
    assert (again.status, again.attempts, again.next_attempt_at) == ("pending", 0, requeue_at)
    assert again.last_error is not None  # kept until the next try tells something new
    assert run(sessions, smtp_server, now=requeue_at).sent == [target.id]
    assert smtp_server.message_ids()[message_id_for(target, FROM)] == 1

    with pytest.raises(TaskforceError, match="already sent"), transaction(sessions) as session:
        outbox.retry(session, [target.id], now=requeue_at)
    with pytest.raises(TaskforceError, match="no outbox message 99999"):
        with transaction(sessions) as session:
            outbox.retry(session, [99999], now=requeue_at)


def test_while_the_server_is_down_the_run_stops_and_every_message_waits_untouched(
    queued: list[OutboxMessage], sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    report = run(sessions, smtp_server, batch_size=7)

    assert (report.sent, report.retried, report.dead) == ([], [], [])
    assert report.stopped == (
        f"the mail server at {smtp_server.host}:{smtp_server.port} could not be reached:"
        " the server refused the connection"
    )
    assert report.remaining == len(queued)
    # Not the messages' fault: no try counted, so an outage never dead-letters anything.
    before = {m.id: m.next_attempt_at for m in queued}
    for row in rows(sessions):
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
        assert row.next_attempt_at == before[row.id] and row.claimed_until is None

    smtp_server.start()
    later = run(sessions, smtp_server)
    assert later.sent == [m.id for m in queued] and later.stopped is None
    assert len(smtp_server.messages) == len(queued)


def test_a_line_break_in_a_subject_is_refused_and_the_message_dead_lettered(
    queued: list[OutboxMessage], sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    target = queued[3]
    injected = "Escalation\nBcc: everyone@example.org"
    with transaction(sessions) as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == target.id).values(subject=injected)
        )

    report = run(sessions, smtp_server)

    assert [f.id for f in report.dead] == [target.id]
    assert len(report.sent) == len(queued) - 1
    dead = next(r for r in rows(sessions) if r.id == target.id)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert dead.last_error == (
        f"refusing to send: the Subject header contains a line break ({injected!r});"
        " a header is one line, and a line break in it could add headers or recipients"
    )
    assert message_id_for(target, FROM) not in smtp_server.message_ids()
    assert all(b"everyone@example.org" not in m.raw for m in smtp_server.messages)
    assert all(m.rcpt_tos != ("everyone@example.org",) for m in smtp_server.messages)


def test_a_batch_that_outlives_its_lease_gives_the_rest_back(
    queued: list[OutboxMessage], sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    moments = (LONG_AFTER + timedelta(seconds=10 * i) for i in range(10_000))
    report = run(sessions, smtp_server, clock=lambda: next(moments), lease=timedelta(minutes=1))

    assert 0 < len(report.sent) < len(queued)
    left = [r for r in rows(sessions) if r.status == "pending"]
    assert left and all(r.claimed_until is None and r.attempts == 0 for r in left)
    finish = run(sessions, smtp_server, now=LONG_AFTER + timedelta(hours=1))
    assert sorted(report.sent + finish.sent) == [m.id for m in queued]
    assert set(smtp_server.message_ids().values()) == {1}


def test_a_sender_that_does_not_parse_stops_the_run_before_anything_is_claimed(
    queued: list[OutboxMessage], sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    with pytest.raises(ConfigurationError, match="mail_from"):
        deliver(sessions, smtp(smtp_server), plain, from_addr="Secretariat", now=LONG_AFTER)
    assert {(r.status, r.attempts, r.claimed_until) for r in rows(sessions)} == {
        ("pending", 0, None)
    }


def copy_outbox(sessions: sessionmaker[Session], times: int) -> int:
    """Add `times` copies of every outbox row, each to an address of its own; the new total."""
    with transaction(sessions) as session:
        columns = ("escalation_id", "kind", "recipient_name", "language", "subject", "payload")
        for n in range(1, times + 1):
            session.execute(
                insert(OutboxMessage).from_select(
                    [*columns, "recipient_email", "status", "attempts", "created_at"],
                    select(
                        *(getattr(OutboxMessage, c) for c in columns),
                        literal(f"copy{n}.") + OutboxMessage.recipient_email,
                        literal("pending"),
                        literal(0),
                        OutboxMessage.created_at,
                    ).where(~OutboxMessage.recipient_email.like("copy%")),
                )
            )
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_a_run_goes_on_until_nothing_is_due_however_many_batches_that_takes(
    queued: list[OutboxMessage],
    sessions: sessionmaker[Session],
    smtp_server: SmtpServer,
    database_url: str,
) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("the batch loop is the same on every database; once is enough")
    copy_outbox(sessions, 2)
    total = 201  # batches of one: one more than a run used to stop at
    with transaction(sessions) as session:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id > total))

    report = run(sessions, smtp_server, batch_size=1)

    assert len(report.sent) == total and report.remaining == 0
    assert len(smtp_server.message_ids()) == total


def test_a_message_being_sent_cannot_be_requeued_until_its_lease_ends(
    queued: list[OutboxMessage], sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    target = queued[0]
    # A delivery run has claimed it and is sending it right now.
    with transaction(sessions) as session:
        (claimed,) = outbox.claim(session, now=LONG_AFTER, limit=1, lease=LEASE)
    assert claimed.id == target.id

    during = LONG_AFTER + timedelta(minutes=1)
    with pytest.raises(TaskforceError) as refused, transaction(sessions) as session:
        outbox.retry(session, [target.id], now=during)
    assert refused.value.message == (
        f"can't retry outbox message {target.id}: a delivery run is sending it (its lease ends"
        " 2026-07-27 10:10:00 PKT); once it ends the message is sent, due again or dead, and"
        " only a dead or waiting one can be re-queued"
    )
    # Nothing changed: another run still passes it over, so it cannot go out twice.
    assert rows(sessions)[0].claimed_until == LONG_AFTER + LEASE
    meanwhile = run(sessions, smtp_server, now=during)
    assert target.id not in meanwhile.sent
    assert message_id_for(target, FROM) not in smtp_server.message_ids()

    after = LONG_AFTER + LEASE + timedelta(seconds=1)
    with transaction(sessions) as session:
        assert outbox.retry(session, [target.id], now=after) == [target.id]
    assert run(sessions, smtp_server, now=after).sent == [target.id]
    assert smtp_server.message_ids()[message_id_for(target, FROM)] == 1


# --- crashes and concurrency -----------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from db.engine import make_engine, session_factory
    from notifications.delivery import deliver
    from notifications.transport import SmtpConfig, SmtpTransport

    url, port, now, stall_after = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])

    class Render:
        def __init__(self, row):
            self.subject, self.text, self.html = row.subject, row.subject + "\\n", ""

    class Stalling(SmtpTransport):
        sent = 0

        def send(self, message):
            super().send(message)
            Stalling.sent += 1
            if Stalling.sent == stall_after:
                time.sleep(120)  # killed here: sent, and not yet marked sent

    engine = make_engine(url)
    deliver(
        session_factory(engine),
        lambda: Stalling(SmtpConfig(host="127.0.0.1", port=port, timeout=5)),
        lambda session, row: Render(row),
        from_addr="Task Force Secretariat <taskforce@example.org>",
        now=datetime.fromisoformat(now),
        batch_size=5,
    )
    """
)


@pytest.mark.slow
def test_a_worker_killed_between_a_send_and_its_mark_repeats_only_that_message(
    queued: list[OutboxMessage],
    sessions: sessionmaker[Session],
    smtp_server: SmtpServer,
    database_url: str,
) -> None:
    stall_after = 7  # in the second batch of five
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER,
            database_url,
            str(smtp_server.port),
            LONG_AFTER.isoformat(),
            str(stall_after),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        smtp_server.wait_for(stall_after, timeout=30)
        time.sleep(0.2)  # nothing more arrives: the worker is stalled after its send
        assert len(smtp_server.messages) == stall_after
    finally:
        worker.send_signal(signal.SIGKILL)
        _, errors = worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL, errors.decode()

    stored = {r.id: r for r in rows(sessions)}
    stalled = queued[stall_after - 1]
    assert [r.id for r in stored.values() if r.status == "sent"] == [
        m.id for m in queued[: stall_after - 1]
    ]
    assert stored[stalled.id].status == "pending"  # sent, but the mark never happened

    # The dead worker's lease still holds its batch: nobody sends those meanwhile.
    meanwhile = run(sessions, smtp_server)
    held = {m.id for m in queued[stall_after - 1 : 10]}  # its batch's unmarked messages
    assert held.isdisjoint(meanwhile.sent)

    after_lease = run(sessions, smtp_server, now=LONG_AFTER + LEASE + timedelta(seconds=1))
    assert held <= set(after_lease.sent)
    assert {r.status for r in rows(sessions)} == {"sent"}

    counts = smtp_server.message_ids()
    assert set(counts) == {message_id_for(m, FROM) for m in queued}
    duplicates = {mid: n for mid, n in counts.items() if n > 1}
    assert duplicates == {message_id_for(stalled, FROM): 2}  # one crash, one repeat


def test_a_claim_in_progress_is_passed_over_not_waited_for(
    request: pytest.FixtureRequest, sessions: sessionmaker[Session], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: a second claim waits for the first")
    queued: list[OutboxMessage] = request.getfixturevalue("queued")
    other = make_engine(database_url)
    try:
        with transaction(sessions) as first:
            mine = outbox.claim(first, now=LONG_AFTER, limit=3, lease=LEASE)
            # Not yet committed: its rows are locked, and still look unclaimed to others.
            with transaction(session_factory(other)) as second:
                theirs = outbox.claim(second, now=LONG_AFTER, limit=3, lease=LEASE)
    finally:
        other.dispose()
    assert [m.id for m in mine] == [m.id for m in queued[:3]]
    assert [m.id for m in theirs] == [m.id for m in queued[3:6]]


class SlowTransport(SmtpTransport):
    """A little slower per message, so two workers' batches overlap in time."""

    def send(self, message: EmailMessage) -> None:
        super().send(message)
        time.sleep(0.005)


def test_two_workers_at_once_never_send_the_same_message_twice(
    queued: list[OutboxMessage],
    smtp_server: SmtpServer,
    database_url: str,
) -> None:
    start = threading.Barrier(2, timeout=30)
    reports: list[DeliveryReport | BaseException] = []

    def worker(seed: int) -> None:
        engine = make_engine(database_url)  # each worker its own engine, as on two machines
        try:
            start.wait()
            reports.append(
                deliver(
                    session_factory(engine),
                    lambda: SlowTransport(
                        SmtpConfig(host=smtp_server.host, port=smtp_server.port, timeout=5)
                    ),
                    plain,
                    from_addr=FROM,
                    now=LONG_AFTER,
                    batch_size=2,
                    rng=Random(seed),
                )
            )
        except BaseException as error:
            reports.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(seed,), daemon=True) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    done = [r for r in reports if isinstance(r, DeliveryReport)]
    assert len(done) == 2, reports
    assert all(report.sent for report in done)  # both worked, side by side
    sent = Counter(i for report in done for i in report.sent)
    assert sorted(sent) == [m.id for m in queued] and set(sent.values()) == {1}
    assert smtp_server.message_ids() == Counter({message_id_for(m, FROM): 1 for m in queued})


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())
