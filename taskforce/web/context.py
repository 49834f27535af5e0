"""What every request handler shares: the open installation, the templates and the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from db.engine import reader_factory, transaction
from taskforce.app import App

WEB_ROOT = Path(__file__).parent
TEMPLATES = WEB_ROOT / "templates"
STATIC = WEB_ROOT / "static"


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Web:
    """The web application's share of the installation, built once per process."""

    installation: App
    templates: Jinja2Templates
    clock: Callable[[], datetime] = system_clock

    def now(self) -> datetime:
        return self.clock()

    readers: sessionmaker[Session] | None = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work, committed before the response is sent."""
        with transaction(self.installation.sessions) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction for pages and lists: it never queues behind writers."""
        if self.readers is None:
            self.readers = reader_factory(self.installation.engine)
        with transaction(self.readers) as session:
            yield session


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web
