"""Moving the running bills to newer versions of `provincial_bill`, and back, on both databases.

The bundled meeting's three bills start here on version 3 (kept in
states/pipelines/previous, as an installation that loaded them before version 4 would
have them), one of them already moved on to Law's vetting; version 4, kept beside it,
maps every running stage of version 3, and version 5, bundled, every one of version 4.
A made-up next version that renames `drafting` shows what is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import people, pipelines, workflow
from db.engine import transaction
from db.loading import load_meeting
from db.models import Commitment
from db.pipeline_migration import migrate, roll_back
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue, Source, parse_pipeline
from states.documents import parse_yaml
from states.errors import AccessDeniedError, DefinitionError
from states.meeting import MeetingFile
from states.pipeline_migration import MigrationRefusedError, Plan

CHAIR = "chair@example.org"
BILLS = ("CMB-BALOCHISTAN", "CMB-KP", "CMB-PUNJAB")
LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
LATER = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
PREVIOUS = BUNDLED_PIPELINES / "previous"


def _renamed(text: Any, old: str, new: str) -> Any:
    """`text` (a parsed pipeline file) with stage `old` called `new` wherever a stage is named."""
    if isinstance(text, dict):
        return {k: _renamed(v, old, new) for k, v in text.items()}
    if isinstance(text, list):
        return [_renamed(v, old, new) for v in text]
    return new if text == old else text


def renaming_drafting(catalogue: Catalogue, **mapping: Any) -> Catalogue:
    """The registered catalogue plus a made-up provincial_bill version, next after the
    latest, that renames `drafting`."""
    latest = catalogue.latest("provincial_bill")
    written = latest.model_dump(mode="json", by_alias=True, exclude_none=True)
    file = _renamed(written, "drafting", "departmental_drafting")
    file.update(
        version=latest.version + 1,
        migrates_from=mapping
        or {"version": latest.version, "stages": {"drafting": "departmental_drafting"}},
    )
    extended = Catalogue([Source(p, "registered") for p in catalogue.all()])
    text = yaml.safe_dump(file, allow_unicode=True, sort_keys=False)
    extended.add(Source(parse_pipeline(parse_yaml(text, "provincial_bill.yaml")), "file"))
    return extended


@pytest.fixture
def newer(sessions: sessionmaker[Session], bundled_meeting: MeetingFile) -> Catalogue:
    """The meeting loaded while version 3 was the latest, CMB-KP moved on to Law's vetting,
    then the kept version 4 and the bundled pipelines (version 5) registered beside it."""
    bundled = Catalogue.from_directories([BUNDLED_PIPELINES, PREVIOUS])
    before = Catalogue(
        [Source(p, "bundled") for p in bundled.all() if p.key != "provincial_bill"]
        + [Source(bundled.get("provincial_bill", 3), "previous")]
    )
    assert before.latest("provincial_bill").version == 3
    with transaction(sessions) as session:
        pipelines.register(session, before, now=LOADED_AT)
        load_meeting(session, pipelines.registered(session), bundled_meeting, now=LOADED_AT)
    with transaction(sessions) as session:
        workflow.advance(
            session,
            pipelines.registered(session),
            key="CMB-KP",
            action="send_for_vetting",
            actor_email="law.officer.kp@example.org",
            now=LATER - timedelta(days=3),
        )
    with transaction(sessions) as session:
        pipelines.register(session, bundled, now=LATER)
        return pipelines.registered(session)


def _move(
    sessions: sessionmaker[Session],
    catalogue: Catalogue,
    *,
    to: int = 4,
    back: bool = False,
    who: str = CHAIR,
    dry_run: bool = False,
    at: datetime = LATER,
) -> Plan:
    with transaction(sessions) as session:
        actor = people.actor_for(people.by_email(session, who))
        common: dict[str, Any] = dict(
            actor=actor, now=at, calendar=WorkingCalendar(), dry_run=dry_run
        )
        if back:
            return roll_back(session, catalogue, "provincial_bill", from_version=to, **common)
        return migrate(session, catalogue, "provincial_bill", to_version=to, **common)


def _bills(sessions: sessionmaker[Session]) -> dict[str, tuple[int, str, int, datetime | None]]:
    with sessions() as session:
        rows = session.execute(
            select(
                Commitment.key,
                Commitment.pipeline_version,
                Commitment.stage,
                Commitment.stage_seq,
                Commitment.due_at,
            ).where(Commitment.key.in_(BILLS))
        )
        return {r.key: (r.pipeline_version, r.stage, r.stage_seq, r.due_at) for r in rows}


def test_every_running_bill_moves_with_an_event_each_and_moves_back(
    sessions: sessionmaker[Session],
    newer: Catalogue,
    stored: Callable[..., dict[str, Any]],
) -> None:
    before = _bills(sessions)

    shown = _move(sessions, newer, dry_run=True)
    assert {m.key: (m.from_version, m.to_version) for m in shown.moves} == dict.fromkeys(
        BILLS, (3, 4)
    )
    assert [(m.key, m.from_stage, m.to_stage) for m in shown.moves] == [
        ("CMB-BALOCHISTAN", "drafting", "drafting"),
        ("CMB-KP", "law_vetting", "law_vetting"),
        ("CMB-PUNJAB", "drafting", "drafting"),
    ]
    assert _bills(sessions) == before, "a dry run changed something"

    # From the kept version 3 to the kept version 4, then to the bundled version 5.
    moved = _move(sessions, newer)
    assert moved.moves == shown.moves
    latest = _move(sessions, newer, to=5, at=LATER + timedelta(minutes=30))
    assert [(m.key, m.from_version, m.to_version) for m in latest.moves] == [
        (key, 4, 5) for key in BILLS
    ]
    after = _bills(sessions)
    for key in BILLS:
        version, stage, episode, due = after[key]
        assert version == 5
        assert stage == ("law_vetting" if key == "CMB-KP" else "drafting")
        # The same stall episode: escalations sent stay with it, its clock keeps running.
        assert episode == before[key][2]
        assert due == before[key][3]
        *_, to_4, to_5 = stored(key)["history"]
        for last, versions in ((to_4, ("3", "4")), (to_5, ("4", "5"))):
            assert (last["kind"], last["actor"], last["from"], last["to"]) == (
                "migrated",
                CHAIR,
                before[key][1],
                stage,
            )
            assert last["fields"] == {"from_version": versions[0], "to_version": versions[1]}

    # Punjab's bill moves on under version 5; the others go back whence they came.
    with transaction(sessions) as session:
        workflow.advance(
            session,
            newer,
            key="CMB-PUNJAB",
            action="send_for_vetting",
            actor_email="law.officer.punjab@example.org",
            now=LATER + timedelta(hours=1),
        )
    undone = _move(sessions, newer, to=5, back=True, at=LATER + timedelta(hours=2))
    assert [(m.key, m.to_version, m.to_stage) for m in undone.moves] == [
        ("CMB-BALOCHISTAN", 4, "drafting"),
        ("CMB-KP", 4, "law_vetting"),
    ]
    assert [(s.key, s.stage) for s in undone.staying] == [("CMB-PUNJAB", "law_vetting")]
    back = _bills(sessions)
    assert back["CMB-BALOCHISTAN"][:2] == (4, "drafting")
    assert back["CMB-KP"][:2] == (4, "law_vetting")
    assert back["CMB-PUNJAB"][:2] == (5, "law_vetting")
    assert stored("CMB-KP")["history"][-1]["fields"] == {
        "from_version": "5",
        "to_version": "4",
        "rolled_back": "yes",
    }
    # Back on version 4, a bill is moved by version 4's actions again.
    with transaction(sessions) as session:
        workflow.advance(
            session,
            newer,
            key="CMB-BALOCHISTAN",
            action="send_for_vetting",
            actor_email="law.officer.balochistan@example.org",
            now=LATER + timedelta(hours=3),
        )
    assert stored("CMB-BALOCHISTAN")["pipeline"] == ("provincial_bill", 4)


def test_nothing_moves_when_any_bill_would_land_on_no_running_stage(
    sessions: sessionmaker[Session], loaded: Catalogue, stored: Callable[..., dict[str, Any]]
) -> None:
    # Version 6 forgets to map `drafting`, which it renamed: every bill would be stranded.
    catalogue = renaming_drafting(loaded, version=5)
    with transaction(sessions) as session:
        pipelines.register(session, catalogue, now=LATER)
        registered = pipelines.registered(session)
    before = _bills(sessions)
    events = {key: len(stored(key)["history"]) for key in BILLS}

    with pytest.raises(MigrationRefusedError) as refused:
        _move(sessions, registered, to=6)

    said = str(refused.value)
    assert "nothing moved: 3 running commitments" in said
    assert "CMB-BALOCHISTAN (at 'drafting'), CMB-KP (at 'drafting'), CMB-PUNJAB" in said
    assert "migrates_from" in said
    assert _bills(sessions) == before
    assert {key: len(stored(key)["history"]) for key in BILLS} == events


def test_only_the_secretariat_or_the_chair_moves_commitments_between_versions(
    sessions: sessionmaker[Session], newer: Catalogue
) -> None:
    before = _bills(sessions)
    for who in ("law.officer.punjab@example.org", "cs.punjab@example.org"):
        with pytest.raises(AccessDeniedError, match="federal secretary or the chair"):
            _move(sessions, newer, who=who)
    assert _bills(sessions) == before
    assert len(_move(sessions, newer, who="fs.humanrights@example.org").moves) == 3


def test_a_version_cannot_map_to_an_end_or_come_from_a_later_version(loaded: Catalogue) -> None:
    with pytest.raises(DefinitionError) as refused:
        renaming_drafting(
            loaded, version=7, stages={"drafting": "withdrawn", "law_vetting": "nowhere"}
        )
    said = str(refused.value)
    assert "version 7 is not earlier than this one (6)" in said
    assert "'withdrawn' is an end" in said
    assert "'nowhere' is not a stage of this version" in said
