"""`taskforce pause` and `taskforce resume`: an item's clocks stopped and started again."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from db import pausing, queries
from db.engine import transaction
from taskforce import views
from taskforce.console import now, opened, out

KeyArgument = Annotated[str, typer.Argument(help="The commitment's key, e.g. CSW-SINDH.")]
AsOption = Annotated[
    str, typer.Option("--as", help="Your email: a secretary or above over the item.")
]


def pause(
    key: KeyArgument,
    as_: AsOption,
    reason: Annotated[
        str, typer.Option(help="Why its clocks stop, e.g. the court's stay order; in its history.")
    ],
    until: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="The last day of the pause (YYYY-MM-DD); its clocks run again after it.",
        ),
    ] = None,
) -> None:
    """Stop a commitment's clocks: while paused it is not escalated or reminded, and when it
    resumes its due time moves on by the time it stood still."""
    last_day: date | None = until.date() if until is not None else None
    with opened() as application, transaction(application.sessions) as session:
        pausing.pause(session, key=key, actor_email=as_, reason=reason, until=last_day, now=now())
    ends = f" until {last_day:%-d %B %Y}" if last_day else " until resumed"
    out.print(f"{key.upper()}: paused{ends}")


def resume(key: KeyArgument, as_: AsOption) -> None:
    """Start a paused commitment's clocks again; its due time moves on by the pause."""
    with opened() as application, transaction(application.sessions) as session:
        pausing.resume(
            session,
            application.catalogue,
            application.calendar,
            key=key,
            actor_email=as_,
            now=now(),
        )
        due = queries.get_commitment(session, key).due_at
    moved = f"; now due {views.day_ending(due)}" if due else ""
    out.print(f"{key.upper()}: its clocks run again{moved}")


def register(app: typer.Typer) -> None:
    """Add these commands to the `taskforce` command line."""
    app.command("pause")(pause)
    app.command("resume")(resume)
