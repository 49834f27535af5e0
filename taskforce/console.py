"""What every command shares: the consoles, the open installation, the clock, JSON output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from taskforce.app import App, open_app
from taskforce.settings import load_settings

# soft_wrap: a message stays one line however narrow the terminal (tables still fit it).
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")
]


@contextmanager
def opened(*, migrate_schema: bool | None = None) -> Iterator[App]:
    application = open_app(load_settings(), migrate_schema=migrate_schema)
    try:
        yield application
    finally:
        application.close()


def now() -> datetime:
    return datetime.now(UTC)


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))
