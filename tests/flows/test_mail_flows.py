"""The deliver and digest flows run by Prefect, on each kind of database, to a real SMTP server.

Delivery's rules (leases, retries, dead letters) are tested without Prefect in
tests/integration/test_delivery.py; this checks the flows themselves: they open
the runtime they are given, with its mail configuration, their runs complete,
and what they send reaches an SMTP server (aiosmtpd, tests/smtp_server.py) once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db import pipelines
from db.engine import transaction
from db.loading import load_meeting
from db.models import Digest, OutboxMessage, Person
from flows import runtime
from flows.deliver import deliver
from flows.digest import digest
from flows.sweep import sweep
from notifications.delivery import MailConfig
from notifications.message import OUTBOX_HEADER
from notifications.transport import SmtpConfig
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import ConfigurationError
from states.meeting import load_meeting_file
from taskforce.data import BUNDLED_MEETING

LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)  # the day of the bundled meeting
# Monday 27 July 2026, 10:00 in Pakistan: escalations at every level of the ladder.
NOW = datetime(2026, 7, 27, 5, tzinfo=UTC)
FROM = "Task Force Secretariat <taskforce@example.org>"
BASE_URL = "https://taskforce.example.org"
CHAIR = "chair@example.org"
CHIEF_SECRETARIES = {
    "punjab": "cs.punjab@example.org",
    "sindh": "cs.sindh@example.org",
    "khyber_pakhtunkhwa": "cs.kp@example.org",
    "balochistan": "cs.balochistan@example.org",
}
URDU_READER = "cs.sindh@example.org"  # every digest reader reads English until told otherwise


def _not_configured() -> runtime.Runtime:
    raise ConfigurationError("no runtime: the test that configured one has ended")


@pytest.fixture
def installation(
    sessions: sessionmaker[Session], smtp_server: Any
) -> Iterator[sessionmaker[Session]]:
    """The bundled meeting in a new database, handed to the flows with mail to the test server."""
    with transaction(sessions) as session:
        pipelines.register(session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=LOADED_AT)
        catalogue = pipelines.registered(session)
    with transaction(sessions) as session:
        load_meeting(session, catalogue, load_meeting_file(BUNDLED_MEETING), now=LOADED_AT)
    mail = MailConfig(
        from_addr=FROM,
        base_url=BASE_URL,
        smtp=SmtpConfig(host=smtp_server.host, port=smtp_server.port, timeout=5),
    )
    runtime.configure(
        lambda: runtime.Runtime(
            sessions=sessions, catalogue=catalogue, calendar=WorkingCalendar(), mail=mail
        )
    )
    try:
        yield sessions
    finally:
        # The runtime is a process-wide global: leave none behind for the next test.
        runtime.configure(_not_configured)


def _completed(state: Any) -> Any:
    assert state.is_completed(), f"the flow run ended {state.name}: {state.message}"
    assert state.name == "Completed"
    return state.result()


def _sweep() -> dict[str, Any]:
    report: dict[str, Any] = _completed(sweep(now=NOW, return_state=True))
    assert report["escalations"], "the sweep escalated nothing: no mail to deliver"
    return report


def _deliver() -> dict[str, Any]:
    report: dict[str, Any] = _completed(deliver(now=NOW, return_state=True))
    return report


def _outbox(sessions: sessionmaker[Session]) -> list[tuple[int, str, str, str, str | None]]:
    with sessions() as session:
        return [
            (row.id, row.kind, row.recipient_email, row.status, row.message_id)
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_the_deliver_flow_sends_every_pending_message_once(
    prefect_harness: None, installation: sessionmaker[Session], smtp_server: Any
) -> None:
    _sweep()
    queued = _outbox(installation)
    assert queued and {status for *_, status, _ in queued} == {"pending"}

    first = _deliver()

    assert sorted(first["sent"]) == [row[0] for row in queued]
    assert first["retried"] == first["dead"] == first["skipped"] == []
    assert first["remaining"] == 0
    received = smtp_server.wait_for(len(queued))
    assert len(received) == len(queued)
    stored = _outbox(installation)
    assert {status for *_, status, _ in stored} == {"sent"}
    # Each row reached its recipient once, under the Message-ID recorded for it.
    by_outbox_id = {int(r.message[OUTBOX_HEADER]): r for r in received}
    assert sorted(by_outbox_id) == [row[0] for row in stored]
    for outbox_id, _kind, email, _status, message_id in stored:
        arrived = by_outbox_id[outbox_id]
        assert arrived.rcpt_tos == (email,)
        assert arrived.message_id == message_id
    assert set(smtp_server.message_ids().values()) == {1}

    second = _deliver()

    assert (second["sent"], second["retried"], second["dead"]) == ([], [], [])
    assert second["remaining"] == 0
    assert len(smtp_server.messages) == len(queued)
    assert _outbox(installation) == stored


def test_the_digest_flow_queues_each_readers_digest_and_delivery_sends_it_with_its_chart(
    prefect_harness: None, installation: sessionmaker[Session], smtp_server: Any
) -> None:
    _sweep()
    _deliver()  # the escalations: out of the way, so what follows is the digests alone
    already = len(smtp_server.wait_for(1))
    with transaction(installation) as session:
        session.execute(update(Person).where(Person.email == URDU_READER).values(language="ur"))

    summaries: list[dict[str, Any]] = _completed(digest(now=NOW, return_state=True))

    readers = {"federal": CHAIR, **CHIEF_SECRETARIES}
    assert sorted((s["scope"], s["recipient"]) for s in summaries) == sorted(readers.items())
    assert all(s["stalled"] > 0 for s in summaries)
    with installation() as session:
        recorded = {
            d.id: (d.scope, d.recipient_email, d.created_at)
            for d in session.scalars(select(Digest))
        }
        queued = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")))
        assert sorted(recorded) == sorted(s["digest_id"] for s in summaries)
        assert sorted((row.digest_id, row.recipient_email, row.status) for row in queued) == sorted(
            (digest_id, email, "pending") for digest_id, (_, email, _) in recorded.items()
        )
        assert {created_at for *_, created_at in recorded.values()} == {NOW}

    report = _deliver()

    assert sorted(report["sent"]) == sorted(row.id for row in queued)
    assert report["remaining"] == 0
    received = smtp_server.wait_for(already + len(readers))[already:]
    assert sorted(r.rcpt_tos for r in received) == sorted((email,) for email in readers.values())
    for arrived in received:
        message: EmailMessage = arrived.message
        (email,) = arrived.rcpt_tos
        assert message.get_content_type() == "multipart/alternative"
        html_part = message.get_body(("html",))
        text_part = message.get_body(("plain",))
        assert html_part is not None and text_part is not None
        html = html_part.get_content()
        assert 'bgcolor="#b4342d"' in html, f"no chart in the digest to {email}"
        assert f"{BASE_URL}/commitments/" in html
        if email == URDU_READER:
            assert message["Content-Language"] == "ur"
            assert 'dir="rtl"' in html
        else:
            assert message["Content-Language"] == "en"
            assert 'dir="ltr"' in html and 'dir="rtl"' not in html

    # Run again at the same moment: nothing more is recorded, queued or sent.
    assert _completed(digest(now=NOW, return_state=True)) == []
    assert _deliver()["sent"] == []
    assert len(smtp_server.messages) == already + len(readers)
    assert Counter(smtp_server.message_ids().values()) == Counter({1: already + len(readers)})


# -- our own refusals are not retried ----------------------------------------------------------


@pytest.mark.parametrize(
    "flow_name",
    [
        "sweep",
        "deliver",
        "digest",
    ],
)
def test_a_flow_that_cannot_open_its_installation_fails_without_retrying(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch, flow_name: str
) -> None:
    import flows.deliver
    import flows.digest
    import flows.sweep

    flow, task = {
        "sweep": (sweep, flows.sweep.sweep_commitments),
        "deliver": (deliver, flows.deliver.deliver_outbox),
        "digest": (digest, flows.digest.record),
    }[flow_name]
    # Retrying a refusal would take 30 s a try; the question is only whether it happens.
    monkeypatch.setattr(task, "retry_delay_seconds", 0)
    opened: list[str] = []

    def cannot_open() -> runtime.Runtime:
        opened.append(flow_name)
        raise ConfigurationError("the database schema is not up to date; run: taskforce init")

    runtime.configure(cannot_open)
    try:
        state = flow(now=NOW, return_state=True)
    finally:
        runtime.configure(_not_configured)

    assert state.is_failed()
    with pytest.raises(ConfigurationError, match="not up to date"):
        state.result()
    assert len(opened) == 1, f"the {flow_name} task ran {len(opened)} times"
