"""`taskforce report ...`: papers for the task force's meetings, written to files.

Each report is one command of `report_app`; the libraries that write the files
are imported by the command that needs them, so other commands start fast.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from db.engine import transaction
from states.actors import FEDERAL
from states.errors import TaskforceError
from taskforce.console import now, opened, out

report_app = typer.Typer(
    help="Reports for the task force's meetings: the working paper as XLSX, DOCX, CSV or PDF.",
    no_args_is_help=True,
)

FORMATS = ("xlsx", "docx", "csv", "pdf")
LANGUAGES = ("en", "ur")


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    wanted = value.strip().lower()
    if wanted not in allowed:
        raise TaskforceError(f"{option} {value!r}: use one of {', '.join(allowed)}")
    return wanted


def _day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TaskforceError(
            f"{option} {value!r}: write a day as YYYY-MM-DD, e.g. 2026-06-12"
        ) from None


@report_app.command("matrix")
def matrix(
    meeting: Annotated[
        str | None,
        typer.Option(help="Only the decisions made or restated at this meeting, e.g. ntf_hr_08."),
    ] = None,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            help="xlsx, docx, csv (UTF-8 that Excel reads) or pdf (landscape A4, printed as"
            " the board's page shows it).",
        ),
    ] = "xlsx",
    lang: Annotated[str, typer.Option("--lang", help="en or ur (Urdu, right to left).")] = "en",
    scope: Annotated[
        str, typer.Option(help="federal (everything) or a province, which includes its districts.")
    ] = FEDERAL,
    since: Annotated[
        str | None,
        typer.Option(help="Count changes from this day (YYYY-MM-DD); default: the last meeting."),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="The file to write; default: a name with scope and day."),
    ] = None,
) -> None:
    """The working paper: every decision with its stage, deadline, remarks and changes."""
    from db import matrix as matrix_data
    from notifications import working_paper

    paper_format = working_paper.PaperFormat(_choice("--format", format_, FORMATS))
    language = _choice("--lang", lang, LANGUAGES)
    problem = matrix_data.scope_problem(scope)
    if problem:
        raise TaskforceError(f"--{problem}")
    cut_off = _day("--since", since)
    with opened() as application, transaction(application.sessions) as session:
        data = matrix_data.build(
            session,
            application.catalogue,
            application.calendar,
            now=now(),
            scope=scope,
            meeting=meeting,
            since=cut_off,
        )
    content = working_paper.render(data, paper_format, language)
    target = out_file or Path(working_paper.file_name(data, paper_format, language))
    try:
        target.write_bytes(content)
    except OSError as error:
        raise TaskforceError(f"--out {target}: {error.strerror or error}") from None
    out.print(
        f"Working paper: {len(data.rows)} rows written to {target}", markup=False, highlight=False
    )
