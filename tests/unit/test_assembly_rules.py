"""The rules of assembly events, without a database: which place has an assembly, who
records an event, in what order events may come, and what each does to a commitment."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from states.actors import Actor, Role
from states.assembly import (
    AssemblyEventKind,
    AssemblyRefusedError,
    Effect,
    Item,
    NotAnAssemblyError,
    Recorded,
    assembly_province,
    check,
    plan,
    require_recorder,
)
from states.errors import AccessDeniedError
from states.rules import Status

DISSOLVED, PROROGUED, SUMMONED = AssemblyEventKind
# 1 July 2026, 04:00 in Pakistan: still 30 June in UTC.
NOW = datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


def _last(kind: AssemblyEventKind, on: date = date(2026, 6, 1)) -> Recorded:
    return Recorded(kind=kind, on=on, seq=3, at=NOW)


def test_an_assembly_is_a_provinces_and_is_named_in_any_case() -> None:
    assert assembly_province(" Punjab ") == "punjab"
    assert assembly_province("khyber_pakhtunkhwa") == "khyber_pakhtunkhwa"
    with pytest.raises(NotAnAssemblyError, match=r"is a district; .* assembly of sindh"):
        assembly_province("sindh/karachi_south")
    for nowhere in ("federal", "islamabad", "lahore", ""):
        with pytest.raises(NotAnAssemblyError, match="has no provincial assembly; name one of"):
            assembly_province(nowhere)


@pytest.mark.parametrize(
    ("role", "jurisdiction", "allowed"),
    [
        (Role.CHAIR, "federal", True),
        (Role.FEDERAL_SECRETARY, "federal", True),
        (Role.CHIEF_SECRETARY, "punjab", True),
        (Role.CHIEF_SECRETARY, "sindh", False),
        (Role.SECRETARY, "punjab", False),
        (Role.SECRETARY, "federal", False),
        (Role.OFFICER, "punjab", False),
        (Role.ADMINISTRATOR, "federal", False),
    ],
)
def test_who_records_an_event(role: Role, jurisdiction: str, allowed: bool) -> None:
    actor = Actor(email="someone@example.org", role=role, jurisdiction=jurisdiction)
    if allowed:
        require_recorder(actor, "punjab", DISSOLVED)
    else:
        with pytest.raises(AccessDeniedError, match="chief secretary of punjab records it"):
            require_recorder(actor, "punjab", DISSOLVED)


@pytest.mark.parametrize(
    ("last", "kind", "refused"),
    [
        (None, DISSOLVED, None),
        (None, PROROGUED, None),
        (None, SUMMONED, "it is sitting"),
        (SUMMONED, PROROGUED, None),
        (SUMMONED, SUMMONED, "it is sitting"),
        (PROROGUED, PROROGUED, "prorogued already, since 2026-06-01"),
        (PROROGUED, DISSOLVED, None),
        (PROROGUED, SUMMONED, None),
        (DISSOLVED, DISSOLVED, "dissolved on 2026-06-01; a new assembly is summoned first"),
        (DISSOLVED, PROROGUED, "dissolved on 2026-06-01"),
        (DISSOLVED, SUMMONED, None),
    ],
)
def test_the_order_of_events(
    last: AssemblyEventKind | None, kind: AssemblyEventKind, refused: str | None
) -> None:
    before = _last(last) if last is not None else None
    if refused is None:
        expected = 4 if before is not None else 1
        assert check(kind, "punjab", on=date(2026, 6, 2), last=before, now=NOW) == expected
    else:
        with pytest.raises(AssemblyRefusedError, match=refused):
            check(kind, "punjab", on=date(2026, 6, 2), last=before, now=NOW)


def test_the_day_is_pakistans_today_at_the_latest_and_not_before_the_last_event() -> None:
    assert check(DISSOLVED, "punjab", on=date(2026, 7, 1), last=None, now=NOW) == 1
    with pytest.raises(AssemblyRefusedError, match=r"has not come yet \(today is 2026-07-01\)"):
        check(DISSOLVED, "punjab", on=date(2026, 7, 2), last=None, now=NOW)
    with pytest.raises(AssemblyRefusedError, match="the summoning on 2026-06-01, came after"):
        check(PROROGUED, "punjab", on=date(2026, 5, 31), last=_last(SUMMONED), now=NOW)


def _item(key: str, **given: object) -> Item:
    values: dict[str, object] = {
        "key": key,
        "jurisdiction": "punjab/lahore",
        "status": Status.OPEN,
        "in_assembly": True,
        "on_dissolution": "lapse",
        "paused_at": None,
    } | given
    return Item(**values)  # type: ignore[arg-type]


def test_what_each_event_does_to_each_commitment() -> None:
    items = [
        _item("B-PENDING"),
        _item("A-DRAFTING", in_assembly=False),
        _item("C-SINDH", jurisdiction="sindh"),
        _item("D-SILENT", on_dissolution=None),
        _item("E-STAYED", paused_at=NOW),
        _item("F-PROROGUED", paused_at=NOW, paused_by_prorogation=True),
    ]
    dissolved = [(s.key, s.effect, s.action) for s in plan(DISSOLVED, "punjab", items)]
    assert dissolved == [
        ("B-PENDING", Effect.MOVE, "lapse"),
        ("D-SILENT", Effect.LEAVE, None),
        ("E-STAYED", Effect.MOVE, "lapse"),
        ("F-PROROGUED", Effect.RESUME, None),
        ("F-PROROGUED", Effect.MOVE, "lapse"),
    ]
    prorogued = [(s.key, s.effect) for s in plan(PROROGUED, "punjab", items)]
    assert prorogued == [
        ("B-PENDING", Effect.PAUSE),
        ("D-SILENT", Effect.PAUSE),
        ("E-STAYED", Effect.LEAVE),
        ("F-PROROGUED", Effect.LEAVE),
    ]
    summoned = plan(
        SUMMONED,
        "punjab",
        [
            _item("F-PROROGUED", paused_at=NOW, paused_by_prorogation=True),
            _item("G-RESUMED-BY-HAND"),
            _item("H-ENDED", status=Status.WITHDRAWN),
        ],
    )
    assert [(s.key, s.effect) for s in summoned] == [
        ("F-PROROGUED", Effect.RESUME),
        ("G-RESUMED-BY-HAND", Effect.LEAVE),
        ("H-ENDED", Effect.LEAVE),
    ]
    assert str(summoned[1].why) == (
        "G-RESUMED-BY-HAND is no longer paused by the prorogation (resumed, or paused again since)"
    )
