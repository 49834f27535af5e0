"""Commands for people and who holds items: `taskforce people ...`, `reassign`, `handover`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from db import acting, handover, people
from db.engine import transaction
from states.calendar import local_day
from states.errors import TaskforceError
from states.people import PersonValueError
from taskforce.console import JsonOption, emit_json, now, opened, out

people_app = typer.Typer(
    help="People who act on commitments and receive escalations: list (the default), add,"
    " update, deactivate, acting.",
    invoke_without_command=True,
)

AsAdmin = Annotated[
    str, typer.Option("--as", help="Your email: the administrator's or the chair's.")
]
ReasonOption = Annotated[str | None, typer.Option(help="Why: kept with the change.")]
LANGUAGE_HELP = "The language they read: en or ur."


def _records(session: Any) -> list[dict[str, Any]]:
    holding = handover.open_items(session)
    charges: dict[str, list[dict[str, str]]] = {}
    for acting_email, holder, until in acting.in_force(session, today=local_day(now())):
        charges.setdefault(acting_email, []).append({"for": holder, "until": until.isoformat()})
    return [
        {
            "email": p.email,
            "name": p.name,
            "role": p.role,
            "jurisdiction": p.jurisdiction,
            "department": p.department,
            "language": p.language,
            "active": p.active,
            "open_items": holding.get(p.id, []),
            # An inactive person's open items wait for a new holder.
            "needs_new_holder": [] if p.active else holding.get(p.id, []),
            "acting_for": charges.get(p.email, []),
        }
        for p in people.all_people(session)
    ]


def _list(as_json: bool) -> None:
    with opened() as application, transaction(application.sessions) as session:
        rows = _records(session)
    if as_json:
        emit_json(rows)
        return
    table = Table("Email", "Name", "Role", "Jurisdiction", "Department", "Lang", "Open items")
    for row in rows:
        items = str(len(row["open_items"]) or "")
        if not row["active"]:
            items = f"inactive; {items or 0} need a new holder"
        table.add_row(
            row["email"],
            row["name"],
            row["role"],
            row["jurisdiction"],
            row["department"],
            row["language"],
            items,
        )
    out.print(table)


@people_app.callback()
def people_main(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the people who act on commitments and receive escalations (or change them)."""
    if ctx.invoked_subcommand is None:
        _list(as_json)


@people_app.command("list")
def list_people(as_json: JsonOption = False) -> None:
    """List people, with the open items each holds (an inactive person's need a new holder)."""
    _list(as_json)


@people_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="Their email address.")],
    name: Annotated[str, typer.Option(help="Their name, as mail addresses them.")],
    role: Annotated[
        str, typer.Option(help="officer, deputy_commissioner, secretary, chief_secretary, ... .")
    ],
    jurisdiction: Annotated[str, typer.Option(help="federal, a province or PROVINCE/district.")],
    as_: AsAdmin,
    department: Annotated[str, typer.Option(help="Their department, e.g. law.")] = "general",
    language: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "en",
    reason: ReasonOption = None,
) -> None:
    """Add a person (the administrator or the chair); give them a password with users."""
    values = {
        "email": email,
        "name": name,
        "role": role,
        "jurisdiction": jurisdiction,
        "department": department,
        "language": language,
    }
    with opened() as application, transaction(application.sessions) as session:
        person = handover.add_person(
            session, actor_email=as_, values=values, reason=reason, now=now()
        )
        added = f"{person.email} ({person.role}, {person.jurisdiction}, {person.department})"
    out.print(f"Added {added}.")


@people_app.command("update")
def update_(
    email: Annotated[str, typer.Argument(help="Whose details to change.")],
    as_: AsAdmin,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    role: Annotated[str | None, typer.Option(help="A new role.")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="A new jurisdiction.")] = None,
    department: Annotated[str | None, typer.Option(help="A new department.")] = None,
    language: Annotated[str | None, typer.Option(help=LANGUAGE_HELP)] = None,
    reason: ReasonOption = None,
) -> None:
    """Change a person's details; only the values given change."""
    wanted = {
        "name": name,
        "role": role,
        "jurisdiction": jurisdiction,
        "department": department,
        "language": language,
    }
    try:
        with opened() as application, transaction(application.sessions) as session:
            changed = handover.update_person(
                session, actor_email=as_, email=email, changes=wanted, reason=reason, now=now()
            )
    except PersonValueError as error:
        if error.message.endswith("nothing to change"):
            raise TaskforceError(
                f"{error.message}: give --name, --role, --jurisdiction, --department"
                " or --language with a new value"
            ) from None
        raise
    said = "; ".join(f"{name} {before} -> {after}" for name, (before, after) in changed.items())
    out.print(f"{email}: {said}")


@people_app.command("deactivate")
def deactivate(
    email: Annotated[str, typer.Argument(help="Who leaves.")],
    as_: AsAdmin,
    reason: ReasonOption = None,
) -> None:
    """Make a person inactive: no sign-in, no acting, no mail; lists the items they held."""
    with opened() as application, transaction(application.sessions) as session:
        done = handover.deactivate_person(
            session, actor_email=as_, email=email, reason=reason, now=now()
        )
        who = done.person.email
    out.print(f"{who} is inactive; their sessions ended.")
    if done.messages_withdrawn:
        out.print(f"  {done.messages_withdrawn} message(s) waiting for them were withdrawn.")
    if done.open_items:
        out.print(
            f"  {len(done.open_items)} open item(s) need a new holder: {', '.join(done.open_items)}"
            f" — taskforce handover {who} --to EMAIL --as EMAIL"
        )


@people_app.command("acting")
def give_acting(
    email: Annotated[str, typer.Argument(help="Who takes the acting charge.")],
    for_: Annotated[str, typer.Option("--for", help="Whose charge they hold.")],
    until: Annotated[str, typer.Option(help="The last day of the charge (YYYY-MM-DD).")],
    as_: AsAdmin,
) -> None:
    """Let a person hold another's charge through a day: they may act on the holder's items."""
    try:
        last_day = date.fromisoformat(until)
    except ValueError:
        raise TaskforceError(f"--until {until!r}: write the day as YYYY-MM-DD") from None
    moment = now()
    with opened() as application, transaction(application.sessions) as session:
        handover.give_acting_charge(
            session,
            actor_email=as_,
            email=email,
            for_email=for_,
            until=last_day,
            today=local_day(moment),
            now=moment,
        )
    out.print(f"{email} holds the charge of {for_} through {last_day:%-d %B %Y}.")


def reassign(
    key: Annotated[str, typer.Argument(help="The commitment's key.")],
    to: Annotated[str, typer.Option("--to", help="The new holder's email.")],
    as_: Annotated[str, typer.Option("--as", help="Your email.")],
    reason: ReasonOption = None,
    expect_version: Annotated[
        int | None,
        typer.Option("--expect-version", help="Refuse if the commitment changed since."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Give a commitment to a new holder, recorded in its history."""
    with opened() as application, transaction(application.sessions) as session:
        done = handover.reassign(
            session,
            key=key,
            to_email=to,
            actor_email=as_,
            reason=reason,
            now=now(),
            expected_version=expect_version,
        )
    if as_json:
        emit_json(_moved(done))
        return
    out.print(f"{done.key}: {done.from_email or 'nobody'} -> {done.to_email}")


def handover_(
    from_email: Annotated[str, typer.Argument(help="Whose open items to hand over.")],
    to: Annotated[str, typer.Option("--to", help="The new holder's email.")],
    as_: Annotated[str, typer.Option("--as", help="Your email.")],
    reason: ReasonOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give every open item of one person to another: all of them, or none."""
    with opened() as application, transaction(application.sessions) as session:
        moved = handover.handover(
            session, from_email=from_email, to_email=to, actor_email=as_, reason=reason, now=now()
        )
    if as_json:
        emit_json([_moved(done) for done in moved])
        return
    if not moved:
        out.print(f"{from_email} holds no open items; nothing was handed over.")
        return
    out.print(f"{len(moved)} item(s) handed over to {to}: {', '.join(d.key for d in moved)}")


def _moved(done: handover.Reassigned) -> dict[str, Any]:
    return {
        "key": done.key,
        "from": done.from_email,
        "to": done.to_email,
        "seq": done.event.seq,
        "version": done.version,
    }


def register(app: typer.Typer) -> None:
    """Add these commands to the `taskforce` command line."""
    app.add_typer(people_app, name="people")
    app.command("reassign")(reassign)
    app.command("handover")(handover_)
