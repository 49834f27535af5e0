"""Where built messages go: an SMTP server, or .eml files in a folder (development, the demo).

A transport is a context manager opened for one delivery run: `SmtpTransport`
keeps one connection for the whole run instead of one per message, opens a new
one when a message broke it, and says STARTTLS and logs in only when configured
to. A server that cannot be reached at all raises `ServerUnreachableError`.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, Self

from notifications.message import POLICY


class Transport(Protocol):
    """Hands one message on; raises if it could not (smtplib and OSError exceptions)."""

    def send(self, message: EmailMessage) -> None: ...


TransportFactory = Callable[[], AbstractContextManager[Transport]]


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the SMTP server."""

    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    timeout: float = 30.0


class ServerUnreachableError(Exception):
    """The mail server could not be reached, or would not talk to us: no message was tried.

    Raised when a connection cannot be opened (refused, no greeting in time, a 421
    greeting, TLS or login refused), as opposed to a failure during one message.
    `cause` is the underlying error, `where` the server's address.
    """

    def __init__(self, cause: BaseException, where: str) -> None:
        super().__init__(f"{where}: {cause}")
        self.cause = cause
        self.where = where


class SmtpTransport:
    """One SMTP connection, reused message after message, opened again when it breaks.

    If the server has dropped the connection since the last message (an idle
    timeout, or a 421 that made smtplib close it), the next send connects again
    once. A drop noticed only after the message data went out can make the
    server see that message twice; its Message-ID is the same both times. A
    connection that broke during a message (a drop, a timeout) is closed at
    once, never reused: the conversation is out of step, and the next send
    opens a new one. Opening one that fails raises `ServerUnreachableError`.
    """

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        self._sent_on_connection = 0

    def __enter__(self) -> Self:
        self._open()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def where(self) -> str:
        """The server's address, host:port."""
        return f"{self.config.host}:{self.config.port}"

    def send(self, message: EmailMessage) -> None:
        """Send over the open connection; raises SMTPRecipientsRefused if the recipient was."""
        if self._smtp is None or self._smtp.sock is None:
            self._open()
        try:
            refused = self._send_once(message)
        except smtplib.SMTPServerDisconnected as error:
            if self._sent_on_connection == 0 or isinstance(error.__context__, TimeoutError):
                # A fresh connection that drops, or a server that stopped answering, is the
                # server's problem, not a stale connection: trying at once would fail again.
                raise
            self._open()
            refused = self._send_once(message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        self._sent_on_connection += 1

    def close(self) -> None:
        """Say QUIT if the server still listens; close the socket in any case."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.sock is not None:
                smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def _send_once(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        try:
            return self._connection().send_message(message)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # an answer: the conversation is in step (smtplib closed it after a 421)
        except BaseException:
            # Dropped, timed out or broken half-way: no QUIT, which could hang once more.
            self._abandon()
            raise

    def _abandon(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _connection(self) -> smtplib.SMTP:
        assert self._smtp is not None
        return self._smtp

    def _open(self) -> None:
        self._abandon()
        config = self.config
        try:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        except Exception as error:
            raise ServerUnreachableError(error, self.where) from error
        try:
            smtp.ehlo()
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password or "")
        except Exception as error:
            smtp.close()
            raise ServerUnreachableError(error, self.where) from error
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        self._sent_on_connection = 0


class EmlTransport:
    """Writes each message to `{folder}/{Message-ID}.eml`; sending it again overwrites it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        """Write the message as it would go over the wire (CRLF line ends)."""
        target = self.folder / f"{file_name(message)}.eml"
        data = message.as_bytes(policy=POLICY)
        # Written whole or not at all: a reader never sees half a message.
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def file_name(message: EmailMessage) -> str:
    """A file name from the Message-ID: `<outbox-7.17@example.org>` → `outbox-7.17_example.org`."""
    identity = str(message.get("Message-ID", "")).strip().strip("<>")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", identity).strip("._")
    if not safe:
        raise ValueError("a message without a Message-ID cannot be written to a file")
    return safe


def transport_factory(
    kind: Literal["smtp", "eml"], *, smtp: SmtpConfig, folder: Path
) -> TransportFactory:
    """Opens the configured transport, once per delivery run."""
    if kind == "eml":
        return lambda: EmlTransport(folder)
    return lambda: SmtpTransport(smtp)
