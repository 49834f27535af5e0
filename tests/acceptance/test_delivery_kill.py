"""`taskforce deliver` killed (SIGKILL) at random points over a couple of thousand messages.

The installed command runs in a subprocess against a real SMTP server (aiosmtpd,
in this process) and is killed again and again while it sends; each new run
works as of a moment past the killed run's lease, so it takes over what that
run held. Then a last run finishes. Every message must arrive exactly once,
except at most one repeat per kill (the message on its way when the process
died), and a repeat carries the same Message-ID as the first copy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import pytest
from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker

from db import pipelines
from db.engine import transaction
from db.loading import load_meeting
from db.models import OutboxMessage
from db.sweep import run_sweep
from notifications.delivery import LEASE
from notifications.message import message_id_for
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.meeting import load_meeting_file
from taskforce.data import BUNDLED_MEETING

pytestmark = pytest.mark.slow

TASKFORCE = Path(sys.executable).parent / "taskforce"
LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
SWEPT_AT = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)  # escalations at every level
FROM = "Task Force Secretariat <taskforce@example.org>"
# The sweep's messages and as many copies of each, to other addresses, as make at least
# this many: the sample's sweep queues 643 (most about its district committees), and three
# copies of each make 2,572.
MESSAGES = 2000
KILLS = 10
# The campaign costs about half a minute a database on two idle cores; it runs on SQLite
# in the suite, and on PostgreSQL too when this is set to 1 (the claim and lease code is
# the same; PostgreSQL's own claim is tested in tests/integration/test_delivery.py).
ALL_DATABASES_VARIABLE = "TASKFORCE_TEST_KILL_ALL_DATABASES"
SEED = 20260727
# Each run as of a moment past the last one's lease, so it may take what that run held.
RUN_EVERY = LEASE + timedelta(minutes=1)
RUN_TIMEOUT_SECONDS = 300.0


@pytest.fixture
def queued(database_url: str, sessions: sessionmaker[Session]) -> int:
    """The bundled meeting swept long after it, its outbox copied to 2,002 messages."""
    if database_url.startswith("postgresql") and os.environ.get(ALL_DATABASES_VARIABLE) != "1":
        pytest.skip(f"run on SQLite; set {ALL_DATABASES_VARIABLE}=1 for PostgreSQL too")
    with transaction(sessions) as session:
        pipelines.register(session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=LOADED_AT)
        catalogue = pipelines.registered(session)
    with transaction(sessions) as session:
        load_meeting(session, catalogue, load_meeting_file(BUNDLED_MEETING), now=LOADED_AT)
    run_sweep(sessions, catalogue, WorkingCalendar(), now=SWEPT_AT)
    columns = ("escalation_id", "kind", "recipient_name", "language", "subject", "payload")
    with transaction(sessions) as session:
        swept = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        copies = -(-MESSAGES // swept) - 1
        for n in range(1, copies + 1):
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
        total = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    assert MESSAGES <= total < MESSAGES + swept
    return total


def _deliver(database_url: str, server: Any, moment: datetime, cwd: Path) -> subprocess.Popen[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TASKFORCE_") and name not in ("COLUMNS", "LINES")
    }
    env.update(
        TASKFORCE_DATABASE_URL=database_url,
        TASKFORCE_SMTP_HOST=server.host,
        TASKFORCE_SMTP_PORT=str(server.port),
        TASKFORCE_SMTP_TIMEOUT_SECONDS="5",
    )
    return subprocess.Popen(
        [str(TASKFORCE), "deliver", "--json", "--now", moment.isoformat()],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_deliver_killed_again_and_again_sends_each_message_once_but_for_one_repeat_per_kill(
    database_url: str,
    sessions: sessionmaker[Session],
    queued: int,
    smtp_server: Any,
    tmp_path: Path,
) -> None:
    assert TASKFORCE.is_file(), f"the taskforce command is not installed at {TASKFORCE}"
    rng = Random(SEED)
    moment = SWEPT_AT + timedelta(days=1)
    kills = 0
    started = time.monotonic()
    for _ in range(KILLS):
        # Killed once between 1 and 120 more messages have arrived: mid-send, mid-mark,
        # mid-claim or mid-render, wherever the process happens to be at that instant.
        target = len(smtp_server.messages) + rng.randint(1, 120)
        worker = _deliver(database_url, smtp_server, moment, tmp_path)
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while len(smtp_server.messages) < target and worker.poll() is None:
            assert time.monotonic() < deadline, "a delivery run sent nothing for minutes"
            time.sleep(0.002)
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        _, errors = worker.communicate(timeout=60)
        assert worker.returncode in (0, -signal.SIGKILL), errors
        moment += RUN_EVERY

    last = _deliver(database_url, smtp_server, moment, tmp_path)
    output, errors = last.communicate(timeout=RUN_TIMEOUT_SECONDS)
    assert last.returncode == 0, errors
    report = json.loads(output)
    seconds = time.monotonic() - started

    assert kills >= 10, f"only {kills} runs were still sending when killed"
    assert report["remaining"] == 0 and report["retried"] == report["dead"] == []
    with sessions() as session:
        stored = list(session.scalars(select(OutboxMessage)))
    assert len(stored) == queued
    assert {row.status for row in stored} == {"sent"}
    expected = {message_id_for(row, FROM) for row in stored}
    assert all(row.message_id == message_id_for(row, FROM) for row in stored)
    arrived = smtp_server.message_ids()
    assert set(arrived) == expected  # nothing lost, nothing foreign
    repeats = sum(count - 1 for count in arrived.values())
    assert repeats <= kills, f"{repeats} repeats after {kills} kills"
    assert max(arrived.values()) <= 2
    # A repeat is the same message: one Message-ID, the same outbox row.
    by_id: dict[str, set[str]] = {}
    for received in smtp_server.messages:
        by_id.setdefault(received.message_id, set()).add(received.message["X-Taskforce-Outbox"])
    assert all(len(rows) == 1 for rows in by_id.values())
    print(
        f"\n{database_url.split(':')[0]}: {queued} messages, {kills} kills,"
        f" {len(smtp_server.messages)} arrivals, {repeats} repeats"
        f" ({Counter(arrived.values())}), lost 0, {seconds:.1f} s"
    )
