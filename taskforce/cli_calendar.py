"""`taskforce calendar apply`: a changed calendar file applied to the open items' due times."""

from __future__ import annotations

import typer

from db import rescheduling
from db.engine import transaction
from taskforce.console import JsonOption, emit_json, now, opened, out

calendar_app = typer.Typer(
    help="The working calendar (TASKFORCE_CALENDAR_FILE): closed and reopened days.",
    no_args_is_help=True,
)


@calendar_app.command("apply")
def apply(as_json: JsonOption = False) -> None:
    """Move the due times of open items to what the calendar file now says, each moved item
    with a 'due date moved' entry in its history. Nothing is done when the calendar is the
    one last applied; every sweep does this first, so run it to see the effect at once."""
    with opened() as application:
        done = rescheduling.apply_calendar(
            lambda: transaction(application.sessions),
            application.catalogue,
            application.calendar,
            now=now(),
        )
    if as_json:
        emit_json(done.as_dict())
        return
    if not done.changed:
        out.print("The calendar is the one last applied: no due time moves.")
        return
    for key in done.rescheduled:
        out.print(f"  {key}: due time moved")
    for key in done.skipped:
        out.print(f"  {key}: changed meanwhile; the next sweep or apply tries it again")
    out.print(f"Calendar applied: {len(done.rescheduled)} due time(s) moved.")


def register(app: typer.Typer) -> None:
    """Add these commands to the `taskforce` command line."""
    app.add_typer(calendar_app, name="calendar")
