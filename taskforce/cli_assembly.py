"""`taskforce assembly`: a provincial assembly dissolved, prorogued or summoned, applied to
the bills pending there, and the events recorded so far."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from db import assembly
from db.engine import transaction
from states.assembly import AssemblyEventKind, event_term
from taskforce import views
from taskforce.console import JsonOption, emit_json, now, opened, out

assembly_app = typer.Typer(
    help="A provincial assembly dissolved, prorogued or summoned, applied to every bill"
    " pending there; and the events recorded.",
    no_args_is_help=True,
)

ProvinceArgument = Annotated[
    str, typer.Argument(help="The province whose assembly it is, e.g. punjab.", show_default=False)
]
OnOption = Annotated[
    datetime,
    typer.Option(
        "--on",
        formats=["%Y-%m-%d"],
        help="The day it took effect (YYYY-MM-DD), as the Governor's order says; not a day"
        " to come.",
        show_default=False,
    ),
]
AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        help="Your email: the chair, a federal secretary or the province's chief secretary.",
        show_default=False,
    ),
]
ReasonOption = Annotated[
    str | None,
    typer.Option(help="The order or notification it follows, e.g. its number; in the history."),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Only show what it would do; record and change nothing.")
]


def _record(
    kind: AssemblyEventKind,
    province: str,
    on: datetime,
    as_: str,
    reason: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    with opened() as application, transaction(application.sessions) as session:
        applied = assembly.record(
            session,
            application.catalogue,
            application.calendar,
            province=province,
            kind=kind,
            on=on.date(),
            actor_email=as_,
            reason=reason,
            now=now(),
            dry_run=dry_run,
        )
    if as_json:
        emit_json(applied.record())
        return
    _print(applied)


def _print(applied: assembly.Applied) -> None:
    what = f"The {event_term(applied.kind)} of the assembly of {applied.province}"
    when = views.day(applied.on)
    if applied.dry_run:
        out.print(f"{what} on {when} would do this (dry run: nothing recorded or changed):")
    else:
        out.print(f"{what} on {when} is recorded:")
    verb = "would move" if applied.dry_run else "moved"
    if applied.moved:
        table = Table("Commitment", "From stage", "To stage")
        for m in applied.moved:
            table.add_row(escape(m.key), escape(m.from_stage), escape(m.to_stage))
        out.print(f"{len(applied.moved)} {verb} (Article 117):")
        out.print(table)
    for key in applied.paused:
        out.print(f"{escape(key)}: {'would be ' if applied.dry_run else ''}paused")
    for key in applied.resumed:
        out.print(f"{escape(key)}: {'would run' if applied.dry_run else 'runs'} again")
    for left in applied.left:
        out.print(escape(left.why))
    if not (applied.moved or applied.paused or applied.resumed or applied.left):
        out.print("No commitment was pending in that assembly.")


@assembly_app.command("dissolve")
def dissolve(
    province: ProvinceArgument,
    on: OnOption,
    as_: AsOption,
    reason: ReasonOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Record that the assembly was dissolved: the bills pending in it lapse (Article 117).

    The system takes each to where its pipeline says (on_dissolution), the decision kept
    open with its history; bills not in the assembly yet are untouched.
    """
    _record(AssemblyEventKind.DISSOLVED, province, on, as_, reason, dry_run, as_json)


@assembly_app.command("prorogue")
def prorogue(
    province: ProvinceArgument,
    on: OnOption,
    as_: AsOption,
    reason: ReasonOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Record that the assembly was prorogued: what is pending in it is paused.

    Their clocks stop until the assembly is summoned; those paused already are left as
    they are.
    """
    _record(AssemblyEventKind.PROROGUED, province, on, as_, reason, dry_run, as_json)


@assembly_app.command("summon")
def summon(
    province: ProvinceArgument,
    on: OnOption,
    as_: AsOption,
    reason: ReasonOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Record that the assembly was summoned: what its prorogation paused runs again.

    After a prorogation, or a new assembly after the elections; due times move on by the
    pause, and pauses made for other reasons stay.
    """
    _record(AssemblyEventKind.SUMMONED, province, on, as_, reason, dry_run, as_json)


@assembly_app.command("list")
def list_(
    province: Annotated[
        str | None, typer.Argument(help="Only this province's assembly, e.g. punjab.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The assembly events recorded, province by province, in the order they happened."""
    with opened() as application, application.sessions() as session:
        rows = assembly.events(session, province)
        records: list[dict[str, Any]] = [
            {
                "province": row.province,
                "seq": row.seq,
                "kind": row.kind,
                "on": row.effective_on.isoformat(),
                "reason": row.reason,
                "recorded_by": row.actor_email,
                "recorded_at": row.at.isoformat(),
                "outcome": row.outcome,
            }
            for row in rows
        ]
    if as_json:
        emit_json(records)
        return
    if not records:
        out.print("No assembly event is recorded" + (f" for {province}." if province else "."))
        return
    for r in records:
        outcome = r["outcome"]
        counts = [
            f"{len(outcome.get(part, []))} {part}"
            for part in ("moved", "paused", "resumed", "left")
            if outcome.get(part)
        ]
        said = f" ({r['reason']})" if r["reason"] else ""
        out.print(
            escape(
                f"{r['province']} {r['seq']}: {r['kind']} on {r['on']}{said}, recorded by"
                f" {r['recorded_by']}; {', '.join(counts) or 'nothing pending there'}"
            )
        )


def register(app: typer.Typer) -> None:
    """Add these commands to the `taskforce` command line."""
    app.add_typer(assembly_app, name="assembly")
