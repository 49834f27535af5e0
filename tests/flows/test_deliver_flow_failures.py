"""A deliver flow run that could not do its job ends FAILED, so that an operator looks.

With the mail server down, or messages dead-lettered, the run records what it
did, logs its counts through Prefect's run logger, and then fails; the messages
stay in the outbox. On each kind of database, with a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import pipelines
from db.engine import transaction
from db.loading import load_meeting
from db.models import OutboxMessage
from db.sweep import run_sweep
from flows import runtime
from flows.deliver import deliver
from notifications.delivery import MailConfig
from notifications.transport import SmtpConfig
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import ConfigurationError, DeadLetteredError, MailUnavailableError
from states.meeting import load_meeting_file
from taskforce.data import BUNDLED_MEETING

LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 7, 27, 5, tzinfo=UTC)  # escalations at every level of the ladder
FROM = "Task Force Secretariat <taskforce@example.org>"


def _not_configured() -> runtime.Runtime:
    raise ConfigurationError("no runtime: the test that configured one has ended")


@pytest.fixture
def swept(sessions: sessionmaker[Session]) -> Catalogue:
    """The bundled meeting, swept long after it: every message pending in the outbox."""
    with transaction(sessions) as session:
        pipelines.register(session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=LOADED_AT)
        catalogue = pipelines.registered(session)
    with transaction(sessions) as session:
        load_meeting(session, catalogue, load_meeting_file(BUNDLED_MEETING), now=LOADED_AT)
    run_sweep(sessions, catalogue, WorkingCalendar(), now=NOW)
    return catalogue


def _configure(
    sessions: sessionmaker[Session], catalogue: Catalogue, server: Any, **mail: Any
) -> None:
    config = MailConfig(
        from_addr=FROM,
        base_url="https://taskforce.example.org",
        smtp=SmtpConfig(host=server.host, port=server.port, timeout=5),
        **mail,
    )
    runtime.configure(
        lambda: runtime.Runtime(
            sessions=sessions, catalogue=catalogue, calendar=WorkingCalendar(), mail=config
        )
    )


@pytest.fixture
def run_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """What flow runs log, from INFO up (the harness keeps Prefect's own level at WARNING)."""
    caplog.set_level(logging.INFO, logger="prefect.flow_runs")
    return caplog


def _outbox(sessions: sessionmaker[Session]) -> list[tuple[str, int, str | None]]:
    with sessions() as session:
        return [
            (row.status, row.attempts, row.last_error)
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_a_run_with_the_mail_server_down_fails_and_leaves_every_message_pending(
    prefect_harness: None,
    sessions: sessionmaker[Session],
    swept: Catalogue,
    smtp_server: Any,
    run_log: pytest.LogCaptureFixture,
) -> None:
    pending = _outbox(sessions)
    smtp_server.stop()
    _configure(sessions, swept, smtp_server)
    try:
        state = deliver(now=NOW, return_state=True)
    finally:
        runtime.configure(_not_configured)

    assert state.is_failed(), state
    where = f"{smtp_server.host}:{smtp_server.port}"
    with pytest.raises(MailUnavailableError) as raised:
        state.result()
    assert raised.value.message == (
        f"the mail server at {where} could not be reached: the server refused the connection;"
        " the messages stay in the outbox for the next run"
    )
    assert _outbox(sessions) == pending  # untouched: no try counted against any message
    assert f"Delivery: 0 sent, 0 to retry, 0 dead-lettered, {len(pending)} still due" in (
        run_log.messages
    )
    assert raised.value.message in run_log.messages


def test_a_run_that_dead_letters_messages_fails_after_sending_the_others(
    prefect_harness: None,
    sessions: sessionmaker[Session],
    swept: Catalogue,
    smtp_server: Any,
    run_log: pytest.LogCaptureFixture,
) -> None:
    total = len(_outbox(sessions))
    smtp_server.refuse(2, "550 5.1.1 mailbox unavailable")
    _configure(sessions, swept, smtp_server, max_attempts=1)
    try:
        state = deliver(now=NOW, return_state=True)
    finally:
        runtime.configure(_not_configured)

    assert state.is_failed(), state
    with pytest.raises(DeadLetteredError, match=r"^2 message\(s\) dead-lettered in this run"):
        state.result()
    stored = _outbox(sessions)
    assert [status for status, *_ in stored].count("dead") == 2
    assert [status for status, *_ in stored].count("sent") == total - 2
    assert len(smtp_server.messages) == total - 2
    assert f"Delivery: {total - 2} sent, 0 to retry, 2 dead-lettered, 0 still due" in (
        run_log.messages
    )
