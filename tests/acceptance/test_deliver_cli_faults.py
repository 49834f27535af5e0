"""`taskforce deliver` and `taskforce outbox` when mail goes wrong, as an operator sees them.

The installed command in a subprocess, a real SMTP server (aiosmtpd) in this
process, and an outbox filled by a real sweep of the bundled meeting: a mail
server that cannot be reached is one line and exit 75 (nothing touched); a
message retried and then sent shows its earlier error as history; a message a
delivery run holds cannot be re-queued under it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db import pipelines
from db.engine import transaction
from db.loading import load_meeting
from db.models import OutboxMessage
from db.sweep import run_sweep
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.meeting import load_meeting_file
from taskforce.data import BUNDLED_MEETING

LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
SWEPT_AT = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)
DELIVER_AT = SWEPT_AT + timedelta(days=1)


@pytest.fixture
def taskforce(
    database_url: str,
    sessions: sessionmaker[Session],
    taskforce_on: Callable[[str], Callable[..., Any]],
) -> Callable[..., Any]:
    """`taskforce(*args, **env)` on a database with the bundled meeting swept long after it."""
    if database_url.startswith("postgresql"):
        pytest.skip("what the commands print is the same on every database; SQLite is enough")
    with transaction(sessions) as session:
        pipelines.register(session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=LOADED_AT)
        catalogue = pipelines.registered(session)
    with transaction(sessions) as session:
        load_meeting(session, catalogue, load_meeting_file(BUNDLED_MEETING), now=LOADED_AT)
    run_sweep(sessions, catalogue, WorkingCalendar(), now=SWEPT_AT)

    return taskforce_on(database_url)


def _outbox(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_mail_faults_as_the_operator_sees_them(
    taskforce: Callable[..., Any], sessions: sessionmaker[Session], smtp_server: Any
) -> None:
    smtp = {
        "TASKFORCE_SMTP_HOST": smtp_server.host,
        "TASKFORCE_SMTP_PORT": str(smtp_server.port),
        "TASKFORCE_SMTP_TIMEOUT_SECONDS": "5",
    }
    queued = _outbox(sessions)

    # The server is down: one line, exit 75 (try again later), and no message touched.
    smtp_server.stop()
    down = taskforce("deliver", "--now", DELIVER_AT.isoformat(), **smtp)
    assert down.code == 75, down.stderr
    assert down.stderr == (
        f"error: the mail server at {smtp_server.host}:{smtp_server.port} could not be"
        " reached: the server refused the connection; the messages stay in the outbox for"
        " the next run\n"
    )
    assert down.stdout.startswith("Delivered 0 message(s); 0 to try again, 0 dead-lettered;")
    assert {(m.status, m.attempts, m.last_error) for m in _outbox(sessions)} == {
        ("pending", 0, None)
    }

    # Back, but busy for one message: it is retried, then sent a little later.
    smtp_server.start()
    smtp_server.refuse(1, "451 4.3.0 try again later")
    first = taskforce("deliver", "--now", DELIVER_AT.isoformat(), **smtp)
    assert (first.code, first.stderr) == (0, ""), first.stderr
    assert f"Delivered {len(queued) - 1} message(s); 1 to try again" in first.stdout
    later = DELIVER_AT + timedelta(hours=1)
    second = taskforce("deliver", "--now", later.isoformat(), **smtp)
    assert (second.code, second.stderr) == (0, ""), second.stderr
    assert {m.status for m in _outbox(sessions)} == {"sent"}

    shown = taskforce("outbox", "show", str(queued[0].id))
    assert shown.code == 0, shown.stderr
    assert shown.stdout.splitlines()[:2] == [
        f"Outbox message {queued[0].id}: sent, 2 tries, {queued[0].kind}",
        "  last error before it was sent: the server answered 451 4.3.0 try again later",
    ]

    # A message a delivery run holds right now cannot be re-queued under it.
    held = queued[1]
    lease_end = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    with transaction(sessions) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == held.id)
            .values(status="pending", claimed_until=lease_end)
        )
    refused = taskforce("outbox", "retry", str(held.id))
    assert refused.code == 1 and refused.stdout == ""
    assert refused.stderr.startswith(
        f"error: can't retry outbox message {held.id}: a delivery run is sending it"
    )
    assert refused.stderr.count("\n") == 1
    assert _outbox(sessions)[1].claimed_until == lease_end
