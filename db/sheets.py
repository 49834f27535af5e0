"""The province's sheet: its rows read from the database, and its filled rows applied.

`lines` gives what a sheet shows: one line per open commitment in scope, with the
version the importer compares and the actions a sheet can take from the stage.
`apply` takes the parsed rows (`states.sheets.parse`) through the workflow service
in the caller's transaction, as the person importing: a move (`workflow.advance`,
dated when the row says so) or a remark (`workflow.note`), each naming the sheet
and row in its comment. A row whose commitment moved since the sheet was made
(its version differs) is a conflict and is not applied; a row the rule refuses is
an error. The caller commits only when no row is an error: all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from db import people, queries, workflow
from db.models import Commitment
from states import rules
from states.actors import Role
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.definition import FieldKind, Pipeline, Transition
from states.effective import DEFAULT_MAX_DAYS_BACK, start_of_day
from states.errors import TaskforceError
from states.localtext import LocalText
from states.message import Listing, Message, Term
from states.sheets import ParsedSheet, RowRequest, comment, needs_text


@dataclass(frozen=True)
class SheetLine:
    """One open commitment as a sheet shows it."""

    key: str
    title: str
    department: str
    officer: str
    stage: str
    version: int
    actions: tuple[str, ...]
    needs: str


def lines(
    session: Session, catalogue: Catalogue, scope: str, *, department: str | None = None
) -> list[SheetLine]:
    """The open commitments of `scope` (a province includes its districts), ordered by key;
    only `department`'s when given.

    `actions` are those open from the stage that a sheet can take: one that needs a
    file is taken on the page or the CLI. `needs` says what each asks for.
    """
    where = queries.CommitmentFilter(
        jurisdiction=scope.strip().lower(), status="open", department=department
    )
    found = []
    for commitment in queries.list_commitments(session, where):
        pipeline = _pipeline(catalogue, commitment)
        open_now = [
            option
            for option in rules.options(pipeline, workflow.state_of(commitment))
            if all(pipeline.fields[name].kind is not FieldKind.FILE for name in option.needs)
        ]
        actions = tuple(option.transition.action for option in open_now)
        needs = needs_text(
            {option.transition.action: option.needs for option in open_now},
            [option.transition.action for option in open_now if option.comment_required],
        )
        found.append(
            SheetLine(
                key=commitment.key,
                title=commitment.title,
                department=commitment.department,
                officer=commitment.officer.email if commitment.officer else "",
                stage=str(pipeline.stage(commitment.stage).title),
                version=commitment.version,
                actions=actions,
                needs=needs,
            )
        )
    return found


class Outcome(StrEnum):
    """What became of a filled row."""

    APPLIED = "applied"
    CONFLICT = "conflict"
    ERROR = "error"


@dataclass(frozen=True)
class RowResult:
    """One filled row's outcome, in words for the person who filled it.

    `detail` says it in one English line (the command line prints it); the rest says
    it as parts, for a page to put in the reader's language: the commitment's title,
    the action's title and the stage it leads to (for a conflict: the action as the row
    wrote it and the stage the item is in now), the remark, the day the row is dated,
    and the version the sheet had and the item has now. Titles are kept in both
    languages; what the row wrote is kept as it was written.
    """

    row: int
    key: str | None
    outcome: Outcome
    detail: str
    title: LocalText | str = ""
    action: LocalText | str | None = None
    stage: LocalText | str = ""
    remark: str | None = None
    happened_on: date | None = None
    version_then: int | None = None
    version_now: int | None = None


@dataclass(frozen=True)
class SheetReport:
    """Every filled row's outcome; `applied` rows are kept only if there is no error."""

    results: tuple[RowResult, ...]
    unchanged: int

    @property
    def errors(self) -> tuple[RowResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.ERROR)

    @property
    def conflicts(self) -> tuple[RowResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.CONFLICT)


def apply(
    session: Session,
    catalogue: Catalogue,
    parsed: ParsedSheet,
    *,
    actor_email: str,
    sheet: str,
    now: datetime,
    calendar: WorkingCalendar = workflow.PUBLIC_HOLIDAYS_ONLY,
    max_days_back: int = DEFAULT_MAX_DAYS_BACK,
) -> SheetReport:
    """Apply each parsed row as `actor_email`, in the caller's transaction; report every row.

    Every row is tried so that all errors are listed at once; the caller rolls the
    transaction back when `errors` is not empty (or for a dry run).
    """
    people.by_email(session, actor_email)  # an unknown person is the whole import's mistake
    results = [
        RowResult(row=p.row, key=p.key, outcome=Outcome.ERROR, detail=p.reason)
        for p in parsed.problems
    ]
    for request in parsed.requests:
        try:
            results.append(
                _apply_row(
                    session,
                    catalogue,
                    request,
                    actor_email=actor_email,
                    sheet=sheet,
                    now=now,
                    calendar=calendar,
                    max_days_back=max_days_back,
                )
            )
        except TaskforceError as error:
            results.append(
                RowResult(
                    row=request.row, key=request.key, outcome=Outcome.ERROR, detail=error.text
                )
            )
    results.sort(key=lambda r: r.row)
    return SheetReport(results=tuple(results), unchanged=parsed.unchanged)


def _apply_row(
    session: Session,
    catalogue: Catalogue,
    request: RowRequest,
    *,
    actor_email: str,
    sheet: str,
    now: datetime,
    calendar: WorkingCalendar,
    max_days_back: int,
) -> RowResult:
    commitment = queries.get_commitment(session, request.key)
    pipeline = _pipeline(catalogue, commitment)
    told = RowResult(
        row=request.row,
        key=commitment.key,
        outcome=Outcome.APPLIED,
        detail="",
        title=commitment.local_title,
        stage=pipeline.stage(commitment.stage).title,
        remark=request.remark,
        happened_on=request.happened_on,
        version_then=request.version,
        version_now=commitment.version,
    )
    if commitment.version != request.version:
        return replace(
            told,
            outcome=Outcome.CONFLICT,
            action=request.action,
            detail=Message(
                "changed since the sheet was made (version {then}, now {version});"
                " it is now in {stage}",
                then=request.version,
                version=commitment.version,
                stage=pipeline.stage(commitment.stage).title,
            ),
        )
    text = comment(request, sheet)
    if request.action is None:
        workflow.note(session, key=commitment.key, actor_email=actor_email, text=text, now=now)
        return replace(told, detail=Message("remark added"))
    transition = _action_named(pipeline, commitment, request.action)
    done = workflow.advance(
        session,
        catalogue,
        key=commitment.key,
        action=transition.action,
        actor_email=actor_email,
        fields=request.values,
        comment=text,
        now=now,
        expected_version=request.version,
        calendar=calendar,
        effective_at=start_of_day(request.happened_on, now=now) if request.happened_on else None,
        max_days_back=max_days_back,
    )
    moved_to = pipeline.stage(done.commitment.stage).title
    said = {
        "action": Term(transition.action, transition.title),
        "stage": pipeline.stage(done.commitment.stage).title,
    }
    return replace(
        told,
        detail=Message("{action} → {stage} with its remark", **said)
        if request.remark
        else Message("{action} → {stage}", **said),
        action=transition.title,
        stage=moved_to,
    )


def _action_named(pipeline: Pipeline, commitment: Commitment, given: str) -> Transition:
    """The action a cell names, by its name or its title, or the error listing the possible."""
    possible = [
        t for t in pipeline.transitions_from(commitment.stage) if Role.SYSTEM not in t.roles
    ]
    wanted = given.strip().lower()
    for transition in possible:
        if wanted in (transition.action, str(transition.title).lower()):
            return transition
    listed = (
        Listing(Term(t.action, t.title) for t in possible)
        if possible
        else Message("nothing (it has ended)")
    )
    raise TaskforceError(
        Message(
            "{given!r} is not an action from {stage}; possible: {listed}",
            given=given,
            stage=pipeline.stage(commitment.stage).title,
            listed=listed,
        )
    )


def _pipeline(catalogue: Catalogue, commitment: Commitment) -> Pipeline:
    return catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
