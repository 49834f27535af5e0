"""`report sheet` and `import sheet`: a province's pre-filled sheet out, and its filled rows in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from db import sheets as sheet_store
from states.calendar import local_day
from states.errors import TaskforceError
from taskforce.console import JsonOption, emit_json, err, opened, out
from taskforce.console import now as clock

import_app = typer.Typer(
    help="Bring in what was filled offline: a province's sheet, a meeting's decisions.",
    no_args_is_help=True,
)


class SheetRowsRefusedError(TaskforceError):
    """Some rows of the sheet cannot be applied; nothing was changed."""


def sheet(
    scope: Annotated[
        str, typer.Option(help="A province (with its districts), a district, or federal.")
    ],
    department: Annotated[
        str | None,
        typer.Option(help="Only this department's, e.g. law: a sheet is imported as one person."),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write it. Default: SCOPE-YYYY-MM-DD.xlsx here."),
    ] = None,
) -> None:
    """Write the pre-filled sheet of a scope's open commitments, to fill offline and import."""
    from taskforce.sheets import workbook

    made_at = clock()
    name = scope.strip().lower()
    with opened() as application, application.sessions() as session:
        found = sheet_store.lines(
            session, application.catalogue, name, department=department and department.lower()
        )
    if not found:
        where = f"--scope {scope}" + (f" --department {department}" if department else "")
        raise TaskforceError(f"{where}: no open commitments there")
    target = out_file or Path(f"{name.replace('/', '-')}-{local_day(made_at).isoformat()}.xlsx")
    content = workbook(found, scope=name, made_at=made_at)
    try:
        target.write_bytes(content)
    except OSError as error:
        raise TaskforceError(f"--out {target}: {error.strerror or error}") from None
    out.print(f"{target}: {len(found)} open commitments of {name}", markup=False, highlight=False)


@import_app.command("sheet")
def import_sheet(
    file: Annotated[Path, typer.Argument(help="The filled sheet (XLSX).")],
    as_: Annotated[str, typer.Option("--as", help="Your email: every row is taken as you.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would happen; change nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Apply a filled sheet: each row's new stage or remark, all or nothing.

    A row whose commitment moved since the sheet was made is a conflict: it is
    reported and not applied, and the other rows are. Any other bad row (an unknown
    key, an action not possible, a bad date, a person not allowed) stops the import:
    every such row is listed and nothing is changed.
    """
    from taskforce.sheets import apply_sheet, read_rows

    rows = read_rows(file)
    present = clock()
    # One transaction, committed only when every row may be applied and this is no dry run;
    # closing the session otherwise rolls it back.
    with opened() as application, application.sessions() as session:
        report = apply_sheet(
            session, application, rows, name=file.name, actor_email=as_, now=present
        )
        kept = not dry_run and not report.errors
        if kept:
            session.commit()
    _print(report, file=file, kept=kept, dry_run=dry_run, as_json=as_json)
    if report.errors:
        raise SheetRowsRefusedError(
            f"{file.name}: {len(report.errors)} row(s) cannot be applied"
            f" (first: row {report.errors[0].row}); nothing was changed"
        )


def _print(
    report: sheet_store.SheetReport, *, file: Path, kept: bool, dry_run: bool, as_json: bool
) -> None:
    applied = sheet_store.Outcome.APPLIED
    if dry_run:
        err.print("dry run: nothing was changed")
    if as_json:
        emit_json(
            {
                "sheet": file.name,
                "dry_run": dry_run,
                "changed": kept and any(r.outcome is applied for r in report.results),
                "unchanged_rows": report.unchanged,
                "rows": [_record(result) for result in report.results],
            }
        )
        return
    if kept:
        word = "applied"
    elif dry_run and not report.errors:
        word = "would apply"
    else:
        word = "not applied"
    title = f"{file.name}: {len(report.results)} filled rows"
    table = Table("Row", "Key", "Outcome", "Detail", title=title)
    for result in report.results:
        outcome = word if result.outcome is applied else result.outcome.value
        table.add_row(str(result.row), result.key or "", outcome, escape(result.detail))
    out.print(table)
    if report.unchanged:
        out.print(f"{report.unchanged} row(s) left blank: unchanged")


def _record(result: sheet_store.RowResult) -> dict[str, Any]:
    return {
        "row": result.row,
        "key": result.key,
        "outcome": result.outcome.value,
        "detail": result.detail,
    }
