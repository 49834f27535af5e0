"""Text past a column's limit, or holding NUL or a line break, is refused alike on both databases.

PostgreSQL once crashed (exit 70 and an SQL dump) on a meeting file that SQLite
loaded: a title longer than its column, or a NUL anywhere. A name with a line
break loaded everywhere and then dead-lettered every mail to that person. Now
the file is refused with the file, line, field and limit, before anything is
stored; comments and reasons given to the workflow are refused as field errors.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db import escalations
from db.engine import make_engine, transaction
from db.loading import load_meeting
from db.migrate import upgrade
from db.models import Commitment, Event, Person
from states.catalogue import Catalogue
from states.errors import DefinitionError, FieldError
from states.meeting import load_meeting_file

TASKFORCE = Path(sys.executable).parent / "taskforce"
LATER = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
BILL = "CMB-PUNJAB"
OFFICER = "law.officer.punjab@example.org"
CS_PUNJAB = "cs.punjab@example.org"
CABINET = {"cabinet_decision": "C-1", "bill_number": "B-1", "introduced_on": "2026-06-01"}

MEETING = """\
meeting:
  key: ntf_hr_99
  title: {meeting_title}
  held_on: 2026-06-12
people:
  - email: {email}
    name: {name}
    role: officer
    jurisdiction: punjab
    department: {department}
commitments:
  - key: CMB-TEST
    title: {title}
    pipeline: action_task
    jurisdiction: punjab
    department: law
    officer: officer.test@example.org
    agenda_item: {agenda_item}
"""
GOOD = {
    "meeting_title": "99th meeting",
    "email": "officer.test@example.org",
    "name": "Test Officer",
    "department": "law",
    "title": "A test commitment",
    "agenda_item": "7(b)",
}
# (what to change, the value, the line it is on, what the refusal must say)
BAD_FILES = [
    ("title", "T" * 412, 13, "commitments[0].title: is 412 characters; the limit is 300"),
    ("meeting_title", "M" * 301, 3, "meeting.title: is 301 characters; the limit is 300"),
    ("name", "N" * 201, 7, "people[0].name: is 201 characters; the limit is 200"),
    ("department", "d" * 101, 10, "people[0].department: is 101 characters; the limit is 100"),
    ("agenda_item", "A" * 51, 18, "commitments[0].agenda_item: is 51 characters; the limit is 50"),
    ("name", '"Test\\0Officer"', 7, "people[0].name: contains a control character (U+0000"),
    ("name", '"Test\\r\\nBcc: x@example.org"', 7, "people[0].name: contains a control character"),
    ("title", '"A\\x01b"', 13, "commitments[0].title: contains a control character (U+0001"),
    ("email", '"officer\\0.test@example.org"', 6, "people[0].email: contains a control"),
]


def _write(tmp_path: Path, **changes: str) -> Path:
    path = tmp_path / "meeting.yaml"
    path.write_text(MEETING.format(**{**GOOD, **changes}), encoding="utf-8")
    return path


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Person, Commitment, Event)
        )


@pytest.mark.parametrize("change, value, line, said", BAD_FILES, ids=[b[3][:40] for b in BAD_FILES])
def test_a_meeting_file_with_an_unstorable_value_is_refused_with_its_line(
    tmp_path: Path, change: str, value: str, line: int, said: str
) -> None:
    path = _write(tmp_path, **{change: value})
    with pytest.raises(DefinitionError) as caught:
        load_meeting_file(path)
    assert f"{path}:{line}: {said}" in caught.value.message
    assert len(caught.value.message) < 500, "the refusal must not repeat the long value"


def test_the_good_file_loads_on_both_databases_and_a_bad_one_stores_nothing(
    tmp_path: Path, sessions: sessionmaker[Session], catalogue: Catalogue
) -> None:
    """Values at their limits fit the columns of either database; one past refuses it all."""
    at_limits = _write(
        tmp_path,
        meeting_title="M" * 300,
        name="N" * 200,
        department="d" * 100,
        title="T" * 300,
        agenda_item="A" * 50,
    )
    with transaction(sessions) as session:
        load_meeting(session, catalogue, load_meeting_file(at_limits), now=LATER)
    assert _counts(sessions) == (1, 1, 1)
    with pytest.raises(DefinitionError):
        load_meeting_file(_write(tmp_path, title="T" * 301, email="other@example.org"))
    assert _counts(sessions) == (1, 1, 1)


@pytest.mark.slow
def test_taskforce_load_exits_65_not_70_on_both_databases(
    tmp_path: Path, database_url: str
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    environment = {"PATH": "/usr/bin:/bin", "TASKFORCE_DATABASE_URL": database_url}
    for change, value, line, said in (BAD_FILES[0], BAD_FILES[6]):
        path = _write(tmp_path, **{change: value})
        done = subprocess.run(
            [str(TASKFORCE), "load", str(path)],
            capture_output=True,
            text=True,
            env=environment,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 65, done.stderr
        assert f"{path}:{line}: {said}" in done.stderr
        assert "Traceback" not in done.stderr and "SQL" not in done.stderr


def test_a_comment_with_nul_or_past_its_limit_is_a_field_error(
    loaded: Catalogue,
    advance: Callable[..., Any],
    stored: Callable[..., dict[str, Any]],
) -> None:
    before = stored(BILL)
    for comment, said in (
        ("draft\x00ready", "the comment contains a control character (U+0000"),
        ("x" * 4_001, "the comment is 4001 characters; the limit is 4000"),
        ("a\udc80b", "the comment contains a lone surrogate (U+DC80)"),
    ):
        with pytest.raises(FieldError) as caught:
            advance(BILL, "send_for_vetting", OFFICER, comment=comment)
        assert caught.value.fields == ("comment",)
        assert said in caught.value.problems["comment"]
    assert stored(BILL) == before
    advance(BILL, "send_for_vetting", OFFICER, comment="ok")
    advance(BILL, "vet", OFFICER)
    moved = stored(BILL)
    with pytest.raises(FieldError) as caught:
        advance(
            BILL, "approve_in_cabinet", CS_PUNJAB, fields={**CABINET, "cabinet_decision": "C\x001"}
        )
    assert "cabinet_decision" in caught.value.problems
    assert stored(BILL) == moved
    # A comment spanning lines, as a browser sends it, is kept as written.
    kept = "Approved on Tuesday.\r\n\tSee the minutes."
    advance(BILL, "approve_in_cabinet", CS_PUNJAB, fields=CABINET, comment=kept)
    assert stored(BILL)["history"][-1]["comment"] == kept


def test_a_reason_with_nul_is_refused_before_anything_is_written(
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    stored: Callable[..., dict[str, Any]],
) -> None:
    before = stored(BILL)
    for reason in ("on\x00leave", "r" * 4_001):
        with pytest.raises(FieldError) as caught, transaction(sessions) as session:
            escalations.acknowledge(
                session, key=BILL, actor_email=CS_PUNJAB, reason=reason, now=LATER
            )
        assert caught.value.fields == ("reason",)
        with pytest.raises(FieldError), transaction(sessions) as session:
            escalations.snooze(
                session,
                loaded,
                key=BILL,
                actor_email=CS_PUNJAB,
                until=date(2026, 9, 3),
                reason=reason,
                now=LATER,
                today=date(2026, 9, 1),
            )
    assert stored(BILL) == before
