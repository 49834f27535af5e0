"""A provincial assembly dissolved, prorogued and summoned, applied to the bills pending
there, on both databases, with the bundled meeting loaded.

The headline is the bundled meeting's own: CMB-PUNJAB, introduced in the Punjab assembly
(provincial_bill version 4), lapses when it is dissolved and waits to be reintroduced.
For the rest two small pipelines of the tests' own stand beside the bundled ones:
`assembly_bill`, whose `in_assembly` stage is pending in the assembly and which lapses to
`to_be_reintroduced` on dissolution, and `silent_bill`, pending in the assembly too but
declaring no action on dissolution.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import assembly, pausing, pipelines, queries
from db.engine import transaction
from db.models import AssemblyEvent, Commitment
from states.assembly import AssemblyEventKind, AssemblyRefusedError, NotAnAssemblyError
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue, Source, parse_pipeline
from states.documents import parse_yaml
from states.errors import AccessDeniedError

CS_PUNJAB = "cs.punjab@example.org"
CHAIR = "chair@example.org"
LAW_OFFICER = "law.officer.punjab@example.org"
# Monday 6 July 2026, 10:00 in Pakistan; the assembly was dissolved or prorogued that day.
RECORDED = datetime(2026, 7, 6, 5, 0, tzinfo=UTC)
ON = date(2026, 7, 6)

TEST_PIPELINES = (
    """
key: assembly_bill
version: 1
title: {en: Bill before a provincial assembly}
initial: drafting
on_dissolution: lapse
stages:
  - key: drafting
    title: {en: Drafting}
    owner: officer
    time_limit: 15
  - key: in_assembly
    title: {en: Pending in the assembly}
    owner: officer
    time_limit: 20
    assembly: true
  - key: to_be_reintroduced
    title: {en: To be reintroduced}
    owner: secretary
    time_limit: 30
  - key: enacted
    title: {en: Enacted}
    owner: officer
    terminal: true
    outcome: completed
transitions:
  - action: introduce
    title: {en: Introduce in the assembly}
    from: [drafting, to_be_reintroduced]
    to: in_assembly
    roles: [officer, secretary]
  - action: lapse
    title: {en: Lapsed on dissolution}
    from: in_assembly
    to: to_be_reintroduced
    roles: [system]
  - action: enact
    title: {en: Enacted}
    from: in_assembly
    to: enacted
    roles: [officer, secretary]
""",
    """
key: silent_bill
version: 1
title: {en: Bill whose pipeline says nothing of dissolution}
initial: in_assembly
stages:
  - key: in_assembly
    title: {en: Pending in the assembly}
    owner: officer
    time_limit: 20
    assembly: true
  - key: enacted
    title: {en: Enacted}
    owner: officer
    terminal: true
    outcome: completed
transitions:
  - action: enact
    title: {en: Enacted}
    from: in_assembly
    to: enacted
    roles: [officer, secretary]
""",
)


@pytest.fixture
def bills(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    make_commitment: Callable[..., Commitment],
    advance: Callable[..., Any],
) -> Catalogue:
    """The test pipelines registered, and bills on them: PB-LAHORE and PB-PUNJAB pending in
    the Punjab assembly, PB-DRAFT still in drafting, PB-SINDH pending in Sindh's, PB-SILENT
    pending in Punjab's on a pipeline with no action on dissolution."""
    extended = Catalogue([Source(p, "registered") for p in loaded.all()])
    for text in TEST_PIPELINES:
        extended.add(Source(parse_pipeline(parse_yaml(text, "test.yaml")), "file"))
    with transaction(sessions) as session:
        pipelines.register(session, extended, now=RECORDED - timedelta(days=30))
        catalogue = pipelines.registered(session)
    for key, where in (
        ("PB-LAHORE", "punjab/lahore"),
        ("PB-PUNJAB", "punjab"),
        ("PB-DRAFT", "punjab"),
        ("PB-SINDH", "sindh"),
    ):
        make_commitment(key, "assembly_bill", where, department="law", using=catalogue)
    make_commitment("PB-SILENT", "silent_bill", "punjab", department="law", using=catalogue)
    for key in ("PB-LAHORE", "PB-PUNJAB"):
        advance(key, "introduce", LAW_OFFICER, using=catalogue)
    advance("PB-SINDH", "introduce", "law.officer.sindh@example.org", using=catalogue)
    return catalogue


def _record(
    sessions: sessionmaker[Session], catalogue: Catalogue, kind: AssemblyEventKind, **given: Any
) -> assembly.Applied:
    asked: dict[str, Any] = {
        "province": "punjab",
        "kind": kind,
        "on": ON,
        "actor_email": CS_PUNJAB,
        "reason": "Governor's order No. PA/2026/7",
        "now": RECORDED,
    } | given
    with transaction(sessions) as session:
        return assembly.record(session, catalogue, WorkingCalendar(), **asked)


def _everything(stored: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return {
        key: stored(key)
        for key in ("PB-LAHORE", "PB-PUNJAB", "PB-DRAFT", "PB-SINDH", "PB-SILENT", "CMB-PUNJAB")
    }


def _event_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(AssemblyEvent)) or 0


def _introduce(advance: Callable[..., Any], key: str, officer: str, secretary: str) -> None:
    """Walk a bundled provincial bill from drafting until it is introduced in the assembly."""
    advance(key, "send_for_vetting", officer)
    advance(key, "vet", officer)
    advance(key, "approve_in_cabinet", secretary, fields={"cabinet_decision": "CAB/2026/14"})
    advance(
        key,
        "introduce",
        officer,
        fields={"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-06-15"},
    )


def test_dissolving_the_punjab_assembly_lapses_cmb_punjab_and_leaves_the_decision_open(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    advance: Callable[..., Any],
    stored: Callable[..., dict[str, Any]],
) -> None:
    _introduce(advance, "CMB-PUNJAB", LAW_OFFICER, "law.secretary.punjab@example.org")
    introduced = stored("CMB-PUNJAB")
    assert introduced["stage"] == "introduced"
    untouched = {key: stored(key) for key in ("CMB-KP", "CMB-BALOCHISTAN", "CSW-PUNJAB")}

    done = _record(sessions, loaded, AssemblyEventKind.DISSOLVED)

    assert [(m.key, m.from_stage, m.to_stage) for m in done.moved] == [
        ("CMB-PUNJAB", "introduced", "to_be_reintroduced")
    ]
    bill = stored("CMB-PUNJAB")
    assert (bill["stage"], bill["status"], bill["closed_at"]) == (
        "to_be_reintroduced",
        "open",
        None,
    )
    assert bill["fields"] == introduced["fields"]  # the bill number and dates stay on record
    assert bill["history"][:-1] == introduced["history"]
    lapsed = bill["history"][-1]
    assert (lapsed["actor"], lapsed["action"], lapsed["from"]) == ("system", "lapse", "introduced")
    assert lapsed["comment"].startswith("Article 117")
    # KP's and Balochistan's bills are still in drafting, in other provinces; the Punjab
    # commission is on another pipeline, in no assembly.
    assert {key: stored(key) for key in untouched} == untouched
    # The department can take the decision forward again: reintroduce the bill.
    again = advance("CMB-PUNJAB", "reintroduce", "law.secretary.punjab@example.org")
    assert again.commitment.stage == "cabinet_approved"


def test_a_bill_still_in_drafting_is_untouched_by_the_dissolution(
    sessions: sessionmaker[Session], loaded: Catalogue, stored: Callable[..., dict[str, Any]]
) -> None:
    before = stored("CMB-PUNJAB")
    assert before["stage"] == "drafting"
    done = _record(sessions, loaded, AssemblyEventKind.DISSOLVED)
    assert (done.moved, done.paused, done.left) == ((), (), ())
    assert stored("CMB-PUNJAB") == before
    assert _event_rows(sessions) == 1


def test_dissolving_the_punjab_assembly_lapses_the_bills_pending_there_and_keeps_them_open(
    sessions: sessionmaker[Session], bills: Catalogue, stored: Callable[..., dict[str, Any]]
) -> None:
    before = _everything(stored)

    done = _record(sessions, bills, AssemblyEventKind.DISSOLVED)

    assert [(m.key, m.from_stage, m.to_stage) for m in done.moved] == [
        ("PB-LAHORE", "in_assembly", "to_be_reintroduced"),
        ("PB-PUNJAB", "in_assembly", "to_be_reintroduced"),
    ]
    assert [left.key for left in done.left] == ["PB-SILENT"]
    assert "declares no action on dissolution" in done.left[0].why
    after = _everything(stored)
    for key in ("PB-LAHORE", "PB-PUNJAB"):
        bill = after[key]
        assert (bill["stage"], bill["status"], bill["closed_at"]) == (
            "to_be_reintroduced",
            "open",
            None,
        )
        assert bill["history"][:-1] == before[key]["history"]
        last = bill["history"][-1]
        assert (last["kind"], last["actor"], last["action"], last["from"], last["to"]) == (
            "transition",
            "system",
            "lapse",
            "in_assembly",
            "to_be_reintroduced",
        )
        assert last["comment"].startswith("Article 117")
        assert "dissolved on 6 July 2026 (Governor's order No. PA/2026/7)" in last["comment"]
    # Drafting is not pending in the assembly; Sindh's assembly was not dissolved; a
    # pipeline without an action on dissolution is left, and named.
    for key in ("PB-DRAFT", "PB-SINDH", "PB-SILENT", "CMB-PUNJAB"):
        assert after[key] == before[key]
    # The decision stays open: the bill can be introduced again.
    with sessions() as session:
        (row,) = assembly.events(session, "Punjab")
        assert (row.kind, row.effective_on, row.actor_email, row.seq) == (
            "dissolved",
            ON,
            CS_PUNJAB,
            1,
        )
        assert row.outcome["moved"][0]["key"] == "PB-LAHORE"


def test_recording_the_same_dissolution_twice_is_refused_and_changes_nothing(
    sessions: sessionmaker[Session], bills: Catalogue, stored: Callable[..., dict[str, Any]]
) -> None:
    _record(sessions, bills, AssemblyEventKind.DISSOLVED)
    before = _everything(stored)

    with pytest.raises(AssemblyRefusedError, match="it was dissolved on 2026-07-06"):
        _record(sessions, bills, AssemblyEventKind.DISSOLVED, actor_email=CHAIR)

    assert _everything(stored) == before
    assert _event_rows(sessions) == 1
    # The database itself keeps one row an event: not only the check above.
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(
            AssemblyEvent(
                province="punjab",
                seq=2,
                kind="dissolved",
                effective_on=ON,
                actor_email=CHAIR,
                actor_role="chair",
                at=RECORDED,
                outcome={},
            )
        )
    assert _event_rows(sessions) == 1


def _due(sessions: sessionmaker[Session], key: str) -> datetime | None:
    with sessions() as session:
        return queries.get_commitment(session, key).due_at


def test_proroguing_pauses_the_bills_pending_there_and_summoning_resumes_them_moved_on(
    sessions: sessionmaker[Session], bills: Catalogue, stored: Callable[..., dict[str, Any]]
) -> None:
    # PB-PUNJAB was paused already, by a court's stay: the assembly leaves it be.
    with transaction(sessions) as session:
        pausing.pause(
            session,
            key="PB-PUNJAB",
            actor_email="law.secretary.punjab@example.org",
            reason="Lahore High Court stay order",
            until=None,
            now=RECORDED - timedelta(hours=1),
        )
    due_before = _due(sessions, "PB-LAHORE")
    assert due_before is not None

    prorogued = _record(sessions, bills, AssemblyEventKind.PROROGUED)

    assert (prorogued.paused, prorogued.resumed, prorogued.moved) == (
        ("PB-LAHORE", "PB-SILENT"),
        (),
        (),
    )
    assert [(left.key, left.why) for left in prorogued.left] == [
        ("PB-PUNJAB", "PB-PUNJAB is left as it is: it was paused already")
    ]
    assert _due(sessions, "PB-LAHORE") is None
    paused = stored("PB-LAHORE")["history"][-1]
    assert (paused["kind"], paused["actor"]) == ("paused", CS_PUNJAB)
    assert "prorogued on 6 July 2026" in paused["comment"]
    draft_before = stored("PB-DRAFT")

    summoned = _record(
        sessions,
        bills,
        AssemblyEventKind.SUMMONED,
        on=ON + timedelta(days=5),
        now=RECORDED + timedelta(days=5),
        reason=None,
    )

    assert (summoned.resumed, summoned.paused, summoned.left) == (
        ("PB-LAHORE", "PB-SILENT"),
        (),
        (),
    )
    assert _due(sessions, "PB-LAHORE") == due_before + timedelta(days=5)
    assert stored("PB-LAHORE")["history"][-1]["kind"] == "resumed"
    with sessions() as session:
        court_stayed = queries.get_commitment(session, "PB-PUNJAB")
        assert court_stayed.paused_at == RECORDED - timedelta(hours=1)
    assert stored("PB-DRAFT") == draft_before
    with sessions() as session:
        kinds = [(e.kind, e.seq) for e in assembly.events(session)]
    assert kinds == [("prorogued", 1), ("summoned", 2)]


def test_dissolving_a_prorogued_assembly_ends_its_pauses_and_lapses_the_bills(
    sessions: sessionmaker[Session], bills: Catalogue, stored: Callable[..., dict[str, Any]]
) -> None:
    _record(sessions, bills, AssemblyEventKind.PROROGUED)
    later = RECORDED + timedelta(days=2)

    done = _record(
        sessions, bills, AssemblyEventKind.DISSOLVED, on=ON + timedelta(days=2), now=later
    )

    assert done.resumed == ("PB-LAHORE", "PB-PUNJAB", "PB-SILENT")
    assert [m.key for m in done.moved] == ["PB-LAHORE", "PB-PUNJAB"]
    with sessions() as session:
        bill = queries.get_commitment(session, "PB-LAHORE")
        assert (bill.stage, bill.paused_at, bill.due_at is not None) == (
            "to_be_reintroduced",
            None,
            True,
        )
    assert [e["kind"] for e in stored("PB-LAHORE")["history"][-3:]] == [
        "paused",
        "resumed",
        "transition",
    ]


def test_a_dry_run_says_what_would_happen_and_changes_nothing(
    sessions: sessionmaker[Session], bills: Catalogue, stored: Callable[..., dict[str, Any]]
) -> None:
    before = _everything(stored)
    would = _record(sessions, bills, AssemblyEventKind.DISSOLVED, dry_run=True)
    assert would.dry_run
    assert [m.key for m in would.moved] == ["PB-LAHORE", "PB-PUNJAB"]
    assert _everything(stored) == before
    assert _event_rows(sessions) == 0


@pytest.mark.parametrize(
    ("given", "refusal", "says"),
    [
        pytest.param(
            {"on": date(2026, 7, 7)}, AssemblyRefusedError, "that day has not come yet", id="future"
        ),
        pytest.param(
            {"province": "punjab/lahore"},
            NotAnAssemblyError,
            "punjab/lahore is a district; its bills are pending in the assembly of punjab",
            id="district",
        ),
        pytest.param(
            {"province": "federal"}, NotAnAssemblyError, "has no provincial assembly", id="federal"
        ),
        pytest.param(
            {"province": "islamabad"},
            NotAnAssemblyError,
            "islamabad has no provincial assembly",
            id="islamabad",
        ),
        pytest.param(
            {"actor_email": "cs.sindh@example.org"},
            AccessDeniedError,
            "the chair, a federal secretary or the chief secretary of punjab records it",
            id="another-province",
        ),
        pytest.param(
            {"actor_email": "law.secretary.punjab@example.org"},
            AccessDeniedError,
            "is secretary for punjab",
            id="a-secretary",
        ),
        pytest.param(
            {"kind": AssemblyEventKind.SUMMONED},
            AssemblyRefusedError,
            "it is sitting; only a prorogued or dissolved assembly is summoned",
            id="summon-sitting",
        ),
    ],
)
def test_an_assembly_event_is_refused_with_why_and_changes_nothing(
    sessions: sessionmaker[Session],
    bills: Catalogue,
    stored: Callable[..., dict[str, Any]],
    given: dict[str, Any],
    refusal: type[Exception],
    says: str,
) -> None:
    before = _everything(stored)
    asked = dict(given)
    kind = asked.pop("kind", AssemblyEventKind.DISSOLVED)
    with pytest.raises(refusal, match=says):
        _record(sessions, bills, kind, **asked)
    assert _everything(stored) == before
    assert _event_rows(sessions) == 0


def test_events_keep_their_order(sessions: sessionmaker[Session], bills: Catalogue) -> None:
    _record(sessions, bills, AssemblyEventKind.PROROGUED, actor_email=CHAIR)
    with pytest.raises(AssemblyRefusedError, match="it is prorogued already, since 2026-07-06"):
        _record(
            sessions,
            bills,
            AssemblyEventKind.PROROGUED,
            on=ON + timedelta(days=1),
            now=RECORDED + timedelta(days=1),
        )
    with pytest.raises(AssemblyRefusedError, match="the prorogation on 2026-07-06, came after"):
        _record(sessions, bills, AssemblyEventKind.SUMMONED, on=ON - timedelta(days=1))
    _record(sessions, bills, AssemblyEventKind.DISSOLVED, actor_email="fs.humanrights@example.org")
    with pytest.raises(AssemblyRefusedError, match="dissolved on 2026-07-06; a new assembly"):
        _record(sessions, bills, AssemblyEventKind.PROROGUED)
    # A new assembly, after the elections.
    _record(sessions, bills, AssemblyEventKind.SUMMONED, on=ON, reason="After the elections")
    assert _event_rows(sessions) == 3
