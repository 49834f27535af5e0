"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping what it receives.

    server = SmtpServer().start()
    server.refuse(2, "421 4.3.2 try again later")   # the next two messages are refused
    server.stop()                                    # connections are now refused
    server.start()                                   # and accepted again, on the same port
    server.messages                                  # every message accepted, parsed

The server runs in a thread of its own (aiosmtpd's Controller), so the code
under test talks to it over a real socket with smtplib.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class Recorder:
    """The aiosmtpd handler: refuses the next N messages if told to, keeps the others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refusals: list[str] = []
        self.received: list[Received] = []
        self.refused: list[str] = []

    def refuse(self, count: int, reply: str) -> None:
        with self._lock:
            self._refusals.extend([reply] * count)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        with self._lock:
            if self._refusals:
                reply = self._refusals.pop(0)
                self.refused.append(reply)
                return reply
            parsed = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=parsed,
                    raw=content,
                )
            )
        return "250 2.0.0 OK: queued"


class SmtpServer:
    """An aiosmtpd server on a free port of 127.0.0.1 that can be stopped and started again."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = free_port()
        self.handler = Recorder()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        if self._controller is None:
            controller = Controller(self.handler, hostname=self.host, port=self.port)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until `start` is called again."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def refuse(self, count: int, reply: str) -> None:
        """Answer the next `count` messages with `reply` (e.g. "421 4.3.2 busy", "550 5.1.1 no")."""
        self.handler.refuse(count, reply)

    @property
    def messages(self) -> list[Received]:
        """Every message accepted so far, in the order it arrived."""
        with self.handler._lock:
            return list(self.handler.received)

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        return Counter(m.message_id for m in self.messages)

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Received]:
        """The messages, once at least `count` have arrived; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the SMTP server received {len(self.messages)} messages, not {count}"
                )
            time.sleep(0.01)
        return self.messages


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
