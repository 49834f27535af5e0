"""`export` and `restore`: the whole database as JSON lines, and back into an empty one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from db import export
from db.engine import transaction
from states.errors import TaskforceError
from taskforce.console import JsonOption, emit_json, opened, out
from taskforce.console import now as clock


def export_(
    to: Annotated[Path, typer.Option("--out", help="The file to write, e.g. taskforce.jsonl.")],
) -> None:
    """Write everything to a JSON-lines file that `restore` reads into an empty database.

    People are written without passwords, sign-in state or API tokens; the outbox,
    digests and the installation's secrets are left out. Not a replacement for
    database backups (pg_dump, sqlite3 .backup).
    """
    partial = to.with_name(to.name + ".partial")
    with opened() as application:
        lines = 0
        try:
            with (
                transaction(export.snapshot_sessions(application.engine)) as session,
                partial.open("w", encoding="utf-8") as handle,
            ):
                for line in export.write_export(session, now=clock()):
                    handle.write(line + "\n")
                    lines += 1
            os.replace(partial, to)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise TaskforceError(f"--out {to}: {error.strerror or error}") from None
    out.print(f"Exported {lines - 1} rows to {to}")


def restore(
    source: Annotated[Path, typer.Argument(help="A file written by `taskforce export`.")],
    as_json: JsonOption = False,
) -> None:
    """Read an export into this database, which must hold no commitments, people or meetings.

    Everything goes in one transaction: a bad line leaves the database as it was.
    People restored have no password: set one with `taskforce users set-password`.
    """
    try:
        handle = source.open(encoding="utf-8")
    except OSError as error:
        raise TaskforceError(f"{source}: {error.strerror or error}") from None
    with handle, opened() as application:
        try:
            with transaction(application.sessions) as session:
                restored = export.restore(session, handle, source=str(source))
        except UnicodeDecodeError:
            raise TaskforceError(f"{source}: not UTF-8 text") from None
    if as_json:
        emit_json(restored.counts)
        return
    listed = ", ".join(f"{count} {name}" for name, count in restored.counts.items())
    out.print(f"Restored from {source}: {listed or 'nothing'}")


def register(app: typer.Typer) -> None:
    """Add these commands to the `taskforce` command line."""
    app.command("export")(export_)
    app.command("restore")(restore)
