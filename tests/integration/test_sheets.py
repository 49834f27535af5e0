"""A province's sheet, out and back in, on a real database (SQLite and PostgreSQL).

The sheet is written (`taskforce.sheets.workbook`), filled with openpyxl as a
province would, read back and applied (`db.sheets.apply`): one status change,
one remark and one stale row give two events and one conflict; a bad row makes
the caller keep nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import sheets as sheet_store
from db import workflow
from db.engine import transaction
from db.models import Commitment, Event
from states import sheets
from states.catalogue import Catalogue
from states.districts import bundled_districts
from states.meeting import district_child_key
from taskforce.sheets import read_rows, workbook

SECRETARY = "hr.secretary.punjab@example.org"
LAHORE_OFFICER = "hr.officer.lahore@example.org"
MADE_AT = datetime(2026, 6, 14, 9, 0, tzinfo=UTC)
IMPORTED_AT = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
HAPPENED = date(2026, 7, 1)
PAKISTAN = ZoneInfo("Asia/Karachi")
KEYS = ("CMB-PUNJAB", "CSW-PUNJAB", "DHRC-PUNJAB", "DHRC-PUNJAB-LAHORE", "PTF-PUNJAB")


def _events(sessions: sessionmaker[Session]) -> dict[str, list[Any]]:
    with sessions() as session:
        rows = session.execute(
            select(Commitment.key, Event.kind, Event.action, Event.to_stage)
            .add_columns(Event.actor_email, Event.comment, Event.effective_at)
            .join(Commitment, Commitment.id == Event.commitment_id)
            .where(Commitment.key.in_(KEYS))
            .order_by(Commitment.key, Event.seq)
        )
        found: dict[str, list[Any]] = {key: [] for key in KEYS}
        for row in rows:
            found[row.key].append(row)
        return found


def _apply(
    sessions: sessionmaker[Session], catalogue: Catalogue, path: Path, *, keep: bool
) -> sheet_store.SheetReport:
    with sessions() as session:
        report = sheet_store.apply(
            session,
            catalogue,
            sheets.parse(read_rows(path)),
            actor_email=SECRETARY,
            sheet=path.name,
            now=IMPORTED_AT,
        )
        if keep and not report.errors:
            session.commit()
    return report


def test_one_move_one_remark_and_one_stale_row_give_two_events_and_a_conflict(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    advance: Callable[..., workflow.Advanced],
    tmp_path: Path,
) -> None:
    with transaction(sessions) as session:
        found = sheet_store.lines(session, loaded, "Punjab")
    # The sheet lists every open commitment of Punjab: those above, and the committees of
    # Punjab's other 40 districts (no row of theirs is filled here).
    districts = [
        district_child_key("DHRC-PUNJAB", district.key)
        for district in bundled_districts().in_province("punjab")
        if district.key != "punjab/lahore"
    ]
    assert len(districts) == 40
    assert tuple(line.key for line in found) == tuple(sorted((*KEYS, *districts)))
    made = tmp_path / "punjab.xlsx"
    made.write_bytes(workbook(found, scope="punjab", made_at=MADE_AT))
    # The Lahore committee moves after the sheet was made: its row is stale.
    advance("DHRC-PUNJAB-LAHORE", "nominate_members", LAHORE_OFFICER, fields={"members": "5"})

    book = load_workbook(made)
    page = book.active
    assert page is not None
    column = {cell.value: n for n, cell in enumerate(page[1], start=1)}
    row_of = {str(page.cell(n, 1).value): n for n in range(2, page.max_row + 1)}

    def fill(key: str, title: str, value: Any) -> None:
        page.cell(row_of[key], column[title]).value = value

    fill("PTF-PUNJAB", sheets.ACTION, "record the quarter's meeting")  # the title works as the name
    fill(
        "PTF-PUNJAB",
        sheets.VALUES,
        "quarter=Q3 2026; meeting_on=2026-07-01; minutes_reference=PTF-P/07",
    )
    fill("PTF-PUNJAB", sheets.HAPPENED_ON, HAPPENED)
    fill("DHRC-PUNJAB", sheets.REMARK, "Committees met in 30 of 36 districts")
    fill("DHRC-PUNJAB-LAHORE", sheets.REMARK, "Lahore committee met twice")
    fill("CMB-PUNJAB", sheets.ACTION, "celebrate")
    fill("CSW-PUNJAB", sheets.HAPPENED_ON, "1st July")
    filled = tmp_path / "punjab-2026-07-10.xlsx"
    book.save(filled)
    before = _events(sessions)

    refused = _apply(sessions, loaded, filled, keep=True)

    assert [(r.row, r.key, r.outcome.value) for r in refused.errors] == [
        (row_of["CMB-PUNJAB"], "CMB-PUNJAB", "error"),
        (row_of["CSW-PUNJAB"], "CSW-PUNJAB", "error"),
    ]
    assert refused.errors[0].detail == (
        "'celebrate' is not an action from Drafting in the sponsoring department;"
        " possible: send_for_vetting, give_notice, withdraw"
    )
    assert refused.errors[1].detail == "the date '1st July' is not a date (write it as 2026-11-20)"
    assert _events(sessions) == before

    fill("CMB-PUNJAB", sheets.ACTION, None)
    fill("CSW-PUNJAB", sheets.HAPPENED_ON, None)
    book.save(filled)
    report = _apply(sessions, loaded, filled, keep=True)

    assert [(r.row, r.key, r.outcome.value) for r in report.results] == sorted(
        [
            (row_of["DHRC-PUNJAB"], "DHRC-PUNJAB", "applied"),
            (row_of["DHRC-PUNJAB-LAHORE"], "DHRC-PUNJAB-LAHORE", "conflict"),
            (row_of["PTF-PUNJAB"], "PTF-PUNJAB", "applied"),
        ]
    )
    assert report.conflicts[0].detail == (
        "changed since the sheet was made (version 1, now 2); it is now in Members nominated"
    )
    after = _events(sessions)
    added = {key: after[key][len(before[key]) :] for key in KEYS}
    assert {key: len(events) for key, events in added.items()} == {
        "CMB-PUNJAB": 0,
        "CSW-PUNJAB": 0,
        "DHRC-PUNJAB": 1,
        "DHRC-PUNJAB-LAHORE": 0,
        "PTF-PUNJAB": 1,
    }
    (move,) = added["PTF-PUNJAB"]
    assert (move.kind, move.action, move.to_stage, move.actor_email, move.comment) == (
        "transition",
        "record_meeting",
        "meeting_held",
        SECRETARY,
        f"From sheet {filled.name} row {row_of['PTF-PUNJAB']}",
    )
    assert move.effective_at.astimezone(PAKISTAN).date() == HAPPENED
    (remark,) = added["DHRC-PUNJAB"]
    assert (remark.kind, remark.comment) == (
        "note",
        f"Committees met in 30 of 36 districts (from sheet {filled.name}"
        f" row {row_of['DHRC-PUNJAB']})",
    )
