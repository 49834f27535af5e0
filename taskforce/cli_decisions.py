"""`import decisions` and `report decisions-template`: a new meeting's decisions from a sheet."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from states.errors import TaskforceError
from taskforce.console import now, opened, out

TEMPLATE_FORMATS = ("xlsx", "csv")


def decisions_template(
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write it. Default: decisions-template.FORMAT here."),
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", help="xlsx (meeting, people, decisions) or csv (decisions).")
    ] = "xlsx",
) -> None:
    """Write the empty template for a meeting's decisions, to fill and `import decisions`."""
    from taskforce.decision_sheets import template_csv, template_xlsx

    kind = format_.strip().lower()
    if kind not in TEMPLATE_FORMATS:
        raise TaskforceError(f"--format {format_}: give one of {', '.join(TEMPLATE_FORMATS)}")
    target = out_file or Path(f"decisions-template.{kind}")
    try:
        if kind == "csv":
            target.write_text(template_csv(), encoding="utf-8")
        else:
            target.write_bytes(template_xlsx())
    except OSError as error:
        raise TaskforceError(f"--out {target}: {error.strerror or error}") from None
    out.print(f"{target}: the decisions template ({kind})", markup=False, highlight=False)


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise TaskforceError(f"{option} {value}: give a date as YYYY-MM-DD") from None


def import_decisions(
    file: Annotated[Path, typer.Argument(help="The filled template (XLSX, or CSV of decisions).")],
    preview: Annotated[
        bool, typer.Option("--preview", help="Check it and say what would change; change nothing.")
    ] = False,
    meeting: Annotated[
        str | None, typer.Option("--meeting", help="For a CSV file: the meeting's key.")
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="For a CSV file: the meeting's title.")
    ] = None,
    held_on: Annotated[
        str | None, typer.Option("--held-on", help="For a CSV file: the meeting's date.")
    ] = None,
) -> None:
    """Load a meeting's decisions from a filled template, as `taskforce load` loads its file.

    Every bad cell is listed by sheet, row and column and nothing is loaded. Importing
    the same file again changes nothing.
    """
    from taskforce.decision_sheets import load_decisions, pipeline_problem, read_decisions

    given = [meeting, title, held_on]
    if any(given) and not all(given):
        raise TaskforceError("name the meeting with all of --meeting, --title and --held-on")
    named = (meeting, title, _day("--held-on", held_on)) if meeting and title and held_on else None
    with opened() as application:
        catalogue = application.catalogue
        parsed = read_decisions(file, meeting=named, pipeline_problem=pipeline_problem(catalogue))
        report = load_decisions(
            application.sessions,
            catalogue,
            parsed,
            now=now(),
            calendar=application.calendar,
            preview=preview,
        )
    head = "would load" if preview else "loaded"
    out.print(
        f"{file.name}: {head} meeting {report.meeting}: {parsed.meeting.title}",
        markup=False,
        highlight=False,
    )
    for word, keys in (
        ("people added", report.people_added),
        ("people updated", report.people_updated),
        ("added", report.commitments_added),
        ("reiterated", report.commitments_reiterated),
        ("amended", report.commitments_amended),
        ("superseded", report.commitments_superseded),
        ("references or tags added", report.commitments_labelled),
    ):
        if keys:
            out.print(f"  {word}: {', '.join(keys)}", markup=False, highlight=False)
    if not report.changed:
        out.print("  nothing changed" if not preview else "  nothing would change")
    elif preview:
        out.print("  preview: nothing was changed")
