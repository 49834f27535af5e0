"""`taskforce pipelines`: the registered pipelines, and what changed between two versions."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from states.pipeline_diff import Change, Kind, diff
from taskforce import views
from taskforce.console import JsonOption, emit_json, opened, out

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
