"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping what it receives.

    server = SmtpServer().start()
    server.refuse(2, "421 4.3.2 try again later")   # the next two messages are refused
    server.poison("x@example.org", Fault.DROP)      # every message to x breaks the connection
    server.greet(Greeting.BUSY)                      # new connections are greeted with a 421
    server.stop()                                    # connections are now refused
    server.start()                                   # and accepted again, on the same port
    server.messages                                  # every message accepted, parsed

The server runs in a thread of its own (aiosmtpd's Controller), so the code
under test talks to it over a real socket with smtplib. Faults are what real
servers do: a reply at RCPT or after DATA, a connection closed once the data
is in but before the reply, or silence until the client gives up.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from enum import Enum
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

HOST = "127.0.0.1"
# How long a silent server stays silent: far past any client timeout a test sets.
SILENCE_SECONDS = 60.0
# aiosmtpd's own start-up wait, stated rather than left to its default.
READY_TIMEOUT_SECONDS = 30.0


class Fault(Enum):
    """What the server does to every message for a poisoned recipient, at DATA."""

    DROP = "drop"  # the data is read, then the connection is closed with no reply
    HANG = "hang"  # the data is read, then nothing until the client gives up


class Greeting(Enum):
    """How new connections are greeted."""

    NORMAL = "normal"
    BUSY = "busy"  # "421 4.3.2 Service not available", then the connection is closed
    SILENT = "silent"  # no greeting at all


@dataclass(frozen=True)
class Poison:
    """A recipient's fault: a reply at RCPT or after DATA, or a `Fault`."""

    reply: str | None = None
    at: str = "data"
    fault: Fault | None = None


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
    """The aiosmtpd handler: refuses or breaks messages as told, keeps the others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refusals: list[str] = []
        self._poisoned: dict[str, Poison] = {}
        self.greeting = Greeting.NORMAL
        self.received: list[Received] = []
        self.refused: list[str] = []
        # Every RCPT TO the server saw, by address: how often each recipient was tried.
        self.tried: Counter[str] = Counter()

    def refuse(self, count: int, reply: str) -> None:
        with self._lock:
            self._refusals.extend([reply] * count)

    def poison(self, address: str, poison: Poison) -> None:
        with self._lock:
            self._poisoned[address.lower()] = poison

    def cure(self) -> None:
        with self._lock:
            self._poisoned.clear()

    def _poison_of(self, addresses: list[str]) -> Poison | None:
        with self._lock:
            for address in addresses:
                found = self._poisoned.get(address.lower())
                if found is not None:
                    return found
        return None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self._lock:
            self.tried[address.lower()] += 1
        poison = self._poison_of([address])
        if poison is not None and poison.at == "rcpt" and poison.reply:
            return poison.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        poison = self._poison_of(list(envelope.rcpt_tos))
        if poison is not None and poison.at == "data":
            if poison.fault is Fault.HANG:
                await asyncio.sleep(SILENCE_SECONDS)  # cancelled when the client hangs up
            if poison.fault is not None:
                server.transport.close()
                return "421 4.4.2 connection dropped"  # never reaches the client
            assert poison.reply is not None
            return poison.reply
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


class _Greeter(SMTP):
    """aiosmtpd's SMTP session, greeting as the handler says."""

    async def _handle_client(self) -> None:
        greeting = self.event_handler.greeting
        if greeting is Greeting.BUSY:
            await self.push("421 4.3.2 Service not available, closing transmission channel")
            assert self.transport is not None
            self.transport.close()
            return
        if greeting is Greeting.SILENT:
            try:
                await asyncio.sleep(SILENCE_SECONDS)  # cancelled when the client hangs up
            finally:
                if self.transport is not None:
                    self.transport.close()
            return
        await super()._handle_client()


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _Greeter(self.handler, **self.SMTP_kwargs)


class SmtpServer:
    """An aiosmtpd server on a free port of 127.0.0.1 that can be stopped and started again."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = free_port()
        self.handler = Recorder()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        if self._controller is None:
            controller = _Controller(
                self.handler,
                hostname=self.host,
                port=self.port,
                ready_timeout=READY_TIMEOUT_SECONDS,
            )
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

    def poison(
        self,
        address: str,
        fault: Fault | None = None,
        *,
        reply: str | None = None,
        at: str = "data",
    ) -> None:
        """Break every message to `address`: with `fault`, or answer `reply` at RCPT or DATA."""
        assert (fault is None) != (reply is None), "a fault or a reply"
        assert at in ("rcpt", "data")
        self.handler.poison(address, Poison(reply=reply, at=at, fault=fault))

    def cure(self) -> None:
        """Take every message normally again."""
        self.handler.cure()

    def greet(self, greeting: Greeting) -> None:
        """How new connections are greeted from now on (after `start`: it connects once)."""
        self.handler.greeting = greeting

    def tried(self, address: str) -> int:
        """How many times a message to `address` reached RCPT TO."""
        with self.handler._lock:
            return self.handler.tried[address.lower()]

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
