"""The board's sheet upload: a filled sheet previewed, then applied as the signed-in person.

Uploading applies nothing: the rows are applied in a transaction that is rolled
back, through the same entry point as `import sheet` (`taskforce.sheets.apply_sheet`),
so the preview shows what applying would do, with the same role, department and
jurisdiction checks. The file waits on the server (`sheet_uploads`); the confirm
form carries only its SHA-256. Applying reads those bytes back and applies them
again against the database as it is then: a row that became a conflict meanwhile
is reported, never applied; any bad row, and nothing is applied. The answer is a
redirect to a result page saying what was applied and what was not.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from db.sheets import Outcome, RowResult, SheetReport
from states.access import Access
from states.localtext import LocalText
from states.sheets import SheetFileError, SheetTooLargeError, check_file
from taskforce.web import render
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.i18n import N_, say
from taskforce.web.security import verify_csrf
from taskforce.web.sheet_uploads import PendingSheets
from taskforce.web.uploads import closing_form, uploads_of
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)

TEMPLATE = "sheet_import.html.j2"
FILE_FIELD = "sheet"
NO_FILE = N_("Choose the filled sheet (XLSX) to upload.")
GONE = N_(
    "This preview is no longer waiting: it was applied already, replaced by a newer upload"
    " or kept too long. Upload the sheet again to see a new preview."
)


def _store(request: Request) -> PendingSheets:
    return PendingSheets.under(web_of(request).installation.settings.data_dir)


def _rows(report: SheetReport, outcome: Outcome, language: str) -> list[dict[str, Any]]:
    return [_row(result, language) for result in report.results if result.outcome is outcome]


def _row(result: RowResult, language: str) -> dict[str, Any]:
    """A row as the page shows it (and as the result is kept, in JSON)."""
    return {
        "row": result.row,
        "key": result.key or "",
        # Titles in the page's language (kept as text: the result page reads them from JSON).
        "title": _in(result.title, language),
        "action": _in(result.action, language),
        "stage": _in(result.stage, language),
        "remark": result.remark,
        "happened_on": result.happened_on.isoformat() if result.happened_on else None,
        "version_then": result.version_then,
        "version_now": result.version_now,
        # An engine's refusal of the row, in the page's language.
        "detail": say(result.detail, language),
    }


def _in(value: LocalText | str | None, language: str) -> str | None:
    """A title in `language`, marked where nobody has translated it; data as it was written."""
    return value.in_(language).marked if isinstance(value, LocalText) else value


def _summary(name: str, report: SheetReport, language: str) -> dict[str, Any]:
    return {
        "sheet": name,
        "changes": _rows(report, Outcome.APPLIED, language),
        "conflicts": _rows(report, Outcome.CONFLICT, language),
        "problems": _rows(report, Outcome.ERROR, language),
        "unchanged": report.unchanged,
    }


def _refused(request: Request, message: str, *, status: int) -> Response:
    return render.page(
        request, TEMPLATE, {"step": "refused", "message": message, "here": "/board"}, status=status
    )


@router.post(
    "/board/sheet",
    name="sheet_preview",
    dependencies=[Depends(closing_form), Depends(verify_csrf)],
    **declared(Access.BOARD),
)
def preview(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.BOARD))],
    form: Annotated[FormData, Depends(closing_form)],
) -> Response:
    """What applying the uploaded sheet would do; nothing is applied."""
    from taskforce.sheets import apply_sheet, rows_of

    web = web_of(request)
    limit = web.installation.settings.evidence_policy().max_bytes
    uploads = uploads_of(form, FILE_FIELD, limit=limit)  # closes the form's files
    if len(uploads) != 1:
        return _refused(request, NO_FILE, status=422)
    try:
        name = check_file(uploads[0], max_bytes=limit)
        rows = rows_of(uploads[0].content, name=name)
    except SheetTooLargeError as error:
        return _refused(request, error.message, status=413)
    except SheetFileError as error:
        return _refused(request, error.message, status=422)
    with web.installation.sessions() as session:
        report = apply_sheet(
            session, web.installation, rows, name=name, actor_email=viewer.email, now=web.now()
        )
        session.rollback()  # a preview: nothing is kept
    shown = _summary(name, report, render.language_of(request))
    sha256 = None
    if shown["changes"] and not shown["problems"]:
        sha256 = _store(request).keep(viewer.person_id, name=name, content=uploads[0].content)
    context = {"step": "preview", "sha256": sha256, "here": "/board", **shown}
    return render.page(request, TEMPLATE, context, status=422 if shown["problems"] else 200)


@router.post(
    "/board/sheet/apply",
    name="sheet_apply",
    dependencies=[Depends(closing_form), Depends(verify_csrf)],
    **declared(Access.BOARD),
)
def apply(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.BOARD))],
    form: Annotated[FormData, Depends(closing_form)],
) -> Response:
    """Apply the previewed sheet as the viewer, checked again now; then the result page."""
    from taskforce.sheets import apply_sheet, rows_of

    web = web_of(request)
    sent = form.get("sha256")
    store = _store(request)
    pending = store.claim(viewer.person_id, sent) if isinstance(sent, str) else None
    if pending is None:
        return _refused(request, GONE, status=409)
    try:
        rows = rows_of(pending.content, name=pending.name)
    except SheetFileError as error:
        return _refused(request, error.message, status=422)
    with web.installation.sessions() as session:
        report = apply_sheet(
            session,
            web.installation,
            rows,
            name=pending.name,
            actor_email=viewer.email,
            now=web.now(),
        )
        kept = not report.errors
        if kept:
            session.commit()
    store.record_result(
        viewer.person_id,
        {"kept": kept, **_summary(pending.name, report, render.language_of(request))},
    )
    return RedirectResponse("/board/sheet/result", status_code=303)


@router.get("/board/sheet/result", name="sheet_result", **declared(Access.BOARD))
def result(request: Request, viewer: Annotated[Viewer, Depends(page(Access.BOARD))]) -> Response:
    """What the viewer's last apply did: applied, conflicts, and rows that stopped it."""
    found = _store(request).last_result(viewer.person_id)
    if found is None:
        return RedirectResponse("/board", status_code=303)
    return render.page(request, TEMPLATE, {"step": "result", **found})
