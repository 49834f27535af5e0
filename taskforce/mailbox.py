"""A real local SMTP server for the demo: it saves every message it receives as an .eml file.

The demo delivers through it over a socket, exactly as to a production server,
so what lands in the folder is what people would receive.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


class _SaveToFolder:
    """aiosmtpd handler: each message becomes NNN-recipient-subject.eml in the folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        subject = _header(content, "Subject")
        with self._lock:
            self.count += 1
            number = self.count
        for recipient in envelope.rcpt_tos:
            name = f"{number:04d}-{_slug(recipient)}-{_slug(subject)[:60]}.eml"
            (self.folder / name).write_bytes(content)
        return "250 Message accepted for delivery"


def _header(content: bytes, name: str) -> str:
    message = email.message_from_bytes(content, policy=email.policy.default)
    return str(message.get(name, ""))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "message"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class LocalMailbox:
    """A running SMTP server on 127.0.0.1 writing what it receives into `folder`."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = _free_port()
        self._handler = _SaveToFolder(folder)
        self._controller = Controller(self._handler, hostname=HOST, port=self.port)

    @property
    def received(self) -> int:
        return self._handler.count

    def __enter__(self) -> LocalMailbox:
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()
