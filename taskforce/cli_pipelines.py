"""`taskforce pipelines`: the registered pipelines, and what changed between two versions."""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from db import people, pipeline_migration
from db.engine import transaction
from states.pipeline_diff import Change, Kind, diff
from taskforce import views
from taskforce.console import JsonOption, emit_json, now, opened, out

pipelines_app = typer.Typer(
    help="The registered pipelines (every version), and what changed between two versions.",
    no_args_is_help=False,
)


@pipelines_app.callback(invoke_without_command=True)
def pipelines_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the registered pipelines (every version) with their stages."""
    if ctx.invoked_subcommand is not None:
        return
    with opened() as application:
        catalogue = application.catalogue
        if as_json:
            emit_json([views.pipeline_record(p) for p in catalogue.all()])
            return
        table = Table("Pipeline", "Version", "Title", "Stages", "Deadline")
        for p in catalogue.all():
            stages = " → ".join(s.key for s in p.stages if not s.terminal)
            ends = ", ".join(s.key for s in p.terminal_stages())
            table.add_row(
                p.key, str(p.version), p.title.en, f"{stages}\nends: {ends}", str(p.deadline or "")
            )
        out.print(table)


@pipelines_app.command("diff")
def diff_(
    key: Annotated[str, typer.Argument(help="The pipeline, e.g. provincial_bill.")],
    before: Annotated[int, typer.Argument(help="The version to compare from, e.g. 2.", min=1)],
    after: Annotated[int, typer.Argument(help="The version to compare to, e.g. 3.", min=1)],
    as_json: JsonOption = False,
) -> None:
    """What changed from one registered version of a pipeline to another.

    Stages, actions, fields and ladder rungs added, removed or changed (and in what),
    then the pipeline's own settings; read it before moving running commitments.
    """
    with opened() as application:
        catalogue = application.catalogue
        changes = diff(catalogue.get(key, before), catalogue.get(key, after))
    if as_json:
        emit_json([change.as_record() for change in changes])
        return
    if not changes:
        out.print(f"{key}: versions {before} and {after} are the same.")
        return
    table = Table("Part", "Key", "Change", "Before", "After")
    for change in changes:
        for row in _rows(change):
            table.add_row(*(escape(cell) for cell in row))
    out.print(f"{key}: from version {before} to version {after}, {len(changes)} changes")
    out.print(table)


@pipelines_app.command("migrate")
def migrate_(
    key: Annotated[str, typer.Argument(help="The pipeline, e.g. provincial_bill.")],
    to: Annotated[
        int, typer.Option("--to", min=1, help="The version to move its running commitments to.")
    ],
    as_: Annotated[str, typer.Option("--as", help="Your email: a federal secretary or the chair.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would move; change nothing.")
    ] = False,
    rollback: Annotated[
        bool,
        typer.Option(
            "--rollback",
            help="Undo: return the commitments moved to this version to where they came from.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Move every running commitment of a pipeline to a newer version of it, or back.

    The new version's file says where each stage goes (`migrates_from`); if any running
    commitment would land on no running stage, nothing moves. Every move is an event in
    the commitment's history, and all of them are one transaction. With --rollback, those
    whose latest move was the move to this version go back; those moved on since stay.
    """
    with opened() as application, transaction(application.sessions) as session:
        actor = people.actor_for(people.by_email(session, as_))
        move = (
            partial(pipeline_migration.roll_back, from_version=to)
            if rollback
            else partial(pipeline_migration.migrate, to_version=to)
        )
        plan = move(
            session,
            application.catalogue,
            key,
            actor=actor,
            now=now(),
            calendar=application.calendar,
            dry_run=dry_run,
        )
        if dry_run:
            session.rollback()
    if as_json:
        emit_json(
            {
                "pipeline": plan.pipeline,
                "from_version": plan.from_version,
                "to_version": plan.to_version,
                "dry_run": dry_run,
                "moves": [
                    {"key": m.key, "from_stage": m.from_stage, "to_stage": m.to_stage}
                    for m in plan.moves
                ],
                "staying": [{"key": s.key, "stage": s.stage} for s in plan.staying],
            }
        )
        return
    verb = "would move" if dry_run else "moved"
    out.print(
        f"{plan.pipeline}: {verb} {len(plan.moves)} running commitments from version"
        f" {plan.from_version} to version {plan.to_version}"
    )
    if plan.moves:
        table = Table("Commitment", "From stage", "To stage")
        for m in plan.moves:
            table.add_row(escape(m.key), escape(m.from_stage), escape(m.to_stage))
        out.print(table)
    for s in plan.staying:
        out.print(
            f"{escape(s.key)} stays at {escape(s.stage)}: it moved on after coming to"
            f" version {plan.from_version}, or started on it"
        )


def _rows(change: Change) -> list[tuple[str, str, str, str, str]]:
    if change.kind is not Kind.CHANGED:
        return [(str(change.part), change.key, str(change.kind), "", "")]
    return [
        (str(change.part), change.key, detail.name, _shown(detail.before), _shown(detail.after))
        for detail in change.details
    ]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def register(app: typer.Typer) -> None:
    """Add these commands to the `taskforce` command line."""
    app.add_typer(pipelines_app, name="pipelines")
