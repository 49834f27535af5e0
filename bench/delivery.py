"""Benchmark 4, delivery: 10,000 outbox messages delivered to a local SMTP server.

The messages are what a sweep queues (escalations to officers, secretaries, chief
secretaries and the chair, bench.dataset), delivered by `notifications.delivery.deliver`:
claimed in batches, each composed from its templates and the database, sent over
the batch's one connection and marked sent in its own transaction. The baseline
is a bare smtplib loop over one connection sending the same messages, already
built. The server (aiosmtpd) runs in a process of its own, so it does not share
the interpreter lock with either sender.
"""

from __future__ import annotations

import smtplib
import socket
import time
from multiprocessing import get_context
from multiprocessing.synchronize import Event as EventType
from time import perf_counter
from typing import Any

from sqlalchemy import func, select, text

from bench import dataset
from bench.databases import Databases, Installation, install
from bench.report import Result
from db.engine import transaction
from db.models import OutboxMessage
from db.sweep import run_sweep
from notifications.delivery import composer, deliver
from notifications.message import build_message, message_id_for
from notifications.transport import SmtpConfig, SmtpTransport

HOST = "127.0.0.1"
FROM = "Task Force Secretariat <taskforce@example.org>"
BASE_URL = "http://localhost:8000"


def run(databases: Databases, *, quick: bool) -> list[Result]:
    count = 500 if quick else 10_000
    url = databases.fresh("delivery")
    installation = install(url)
    port = _free_port()
    ready = get_context("spawn").Event()
    server = get_context("spawn").Process(target=serve, args=(port, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the SMTP server did not start")
        _queue(installation, count)
        engine_seconds = _deliver(installation, port, count)
        messages = _built(installation)
        baseline_seconds = _smtplib_loop(messages, port)
    finally:
        server.terminate()
        server.join(10)
        installation.close()
        databases.remove(url)
    engine, baseline = count / engine_seconds, count / baseline_seconds
    return [
        Result(
            name="delivery",
            database=databases.kind,
            sizes={"messages": count},
            engine=engine,
            baseline=baseline,
            baseline_name="bare smtplib, one connection",
            unit="messages/s",
            target=">= 0.50 of bare smtplib",
            met=engine / baseline >= 0.5,
        )
    ]


class _Count:
    """aiosmtpd handler: accept and count."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        return "250 Message accepted for delivery"


def serve(port: int, ready: EventType) -> None:
    """The child process: an SMTP server on 127.0.0.1:`port` until terminated."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Count(), hostname=HOST, port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _queue(installation: Installation, count: int) -> None:
    """Queue `count` messages the way a sweep does (untimed): sweep, then keep the first `count`."""
    stalled = (count * 2) // 5
    dataset.populate(installation, total=stalled * 5, stalled=stalled)
    run_sweep(installation.sessions, installation.catalogue, installation.calendar, now=dataset.NOW)
    with transaction(installation.sessions) as session:
        ids = list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
        if len(ids) < count:
            raise RuntimeError(f"the sweep queued {len(ids)} messages, fewer than {count}")
        session.execute(text("DELETE FROM outbox WHERE id > :last"), {"last": ids[count - 1]})


def _deliver(installation: Installation, port: int, count: int) -> float:
    config = SmtpConfig(host=HOST, port=port, timeout=30)
    render = composer(installation.catalogue, base_url=BASE_URL)
    started = perf_counter()
    report = deliver(
        installation.sessions,
        lambda: SmtpTransport(config),
        render,
        from_addr=FROM,
        now=dataset.NOW,
    )
    seconds = perf_counter() - started
    if len(report.sent) != count:
        raise RuntimeError(f"delivered {len(report.sent)} of {count}: {report.as_dict()}")
    return seconds


def _built(installation: Installation) -> list[tuple[str, str, bytes]]:
    """The same messages, built again from the same rows (untimed), as bytes on the wire."""
    render = composer(installation.catalogue, base_url=BASE_URL)
    built = []
    with transaction(installation.sessions) as session:
        total = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            message = build_message(
                render(session, row),
                to_name=row.recipient_name,
                to_email=row.recipient_email,
                from_addr=FROM,
                message_id=message_id_for(row, FROM),
                language=row.language,
                outbox_id=row.id,
                date=dataset.NOW,
            )
            built.append(("taskforce@example.org", row.recipient_email, message.as_bytes()))
    assert len(built) == total
    return built


def _smtplib_loop(messages: list[tuple[str, str, bytes]], port: int) -> float:
    started = perf_counter()
    smtp = smtplib.SMTP(HOST, port, timeout=30)
    smtp.ehlo()
    for sender, recipient, data in messages:
        smtp.sendmail(sender, [recipient], data)
    smtp.quit()
    return perf_counter() - started
