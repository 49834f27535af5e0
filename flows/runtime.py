"""What a flow run needs from the installation, provided by the entry point that starts it.

Flows sit below the entry package (which owns settings), so the entry point
registers a factory here before any flow runs; the runtime is opened once per
process and reused by every run in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from notifications.delivery import MailConfig
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.errors import ConfigurationError


@dataclass(frozen=True)
class Runtime:
    """An open database, the definitions the rules need, and how mail leaves (if it does)."""

    sessions: sessionmaker[Session]
    catalogue: Catalogue
    calendar: WorkingCalendar
    mail: MailConfig | None = None


RuntimeFactory = Callable[[], Runtime]

_factory: RuntimeFactory | None = None
_opened: Runtime | None = None


def configure(factory: RuntimeFactory) -> None:
    """Register how to open the runtime (the entry point calls this once)."""
    global _factory, _opened
    _factory, _opened = factory, None


def runtime() -> Runtime:
    """The process's runtime, opened on first use."""
    global _opened
    if _opened is None:
        if _factory is None:
            raise ConfigurationError(
                "flows need an installation to work on; run them through taskforce"
                " (taskforce sweep, taskforce serve) or the entrypoints in taskforce/deploy.py"
            )
        _opened = _factory()
    return _opened
