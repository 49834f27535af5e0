"""`taskforce assembly` end to end, in a subprocess, as an operator records what happened
to a provincial assembly."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.slow

Taskforce = Callable[..., Any]
CS_PUNJAB = "cs.punjab@example.org"
# Days that have passed wherever the test runs (the command refuses a day to come).
EARLIER = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
LATER = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()


def ok(done: Any) -> Any:
    assert (done.code, done.stderr) == (0, ""), f"taskforce {' '.join(done.args)}: {done.stderr}"
    return done


def refused(done: Any, code: int) -> str:
    assert done.code == code, (done.code, done.stderr)
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr
    return str(done.said)


def test_an_operator_prorogues_and_summons_an_assembly_and_lists_the_events(
    taskforce: Taskforce,
) -> None:
    ok(taskforce("init"))
    ok(taskforce("load"))
    assert "No assembly event is recorded" in ok(taskforce("assembly", "list")).stdout

    would = json.loads(
        ok(
            taskforce(
                "assembly", "prorogue", "punjab", "--on", EARLIER, "--as", CS_PUNJAB,
                "--dry-run", "--json",
            )
        ).stdout
    )  # fmt: skip
    assert (would["kind"], would["dry_run"], would["on"]) == ("prorogued", True, EARLIER)
    assert ok(taskforce("assembly", "list", "--json")).stdout.strip() == "[]"

    done = ok(
        taskforce(
            "assembly", "prorogue", "Punjab", "--on", EARLIER, "--as", CS_PUNJAB,
            "--reason", "Governor's order No. PA-1",
        )
    )  # fmt: skip
    assert "The prorogation of the assembly of punjab on" in done.stdout
    said = refused(taskforce("assembly", "prorogue", "punjab", "--on", LATER, "--as", CS_PUNJAB), 2)
    assert f"it is prorogued already, since {EARLIER}" in said
    ok(taskforce("assembly", "summon", "punjab", "--on", LATER, "--as", "chair@example.org"))

    events = json.loads(ok(taskforce("assembly", "list", "punjab", "--json")).stdout)
    assert [(e["kind"], e["on"], e["seq"], e["recorded_by"]) for e in events] == [
        ("prorogued", EARLIER, 1, CS_PUNJAB),
        ("summoned", LATER, 2, "chair@example.org"),
    ]
    assert events[0]["reason"] == "Governor's order No. PA-1"
    table = ok(taskforce("assembly", "list")).stdout
    assert "prorogued" in table and "summoned" in table


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        pytest.param(
            ("dissolve", "punjab/lahore", "--on", EARLIER, "--as", CS_PUNJAB),
            1,
            "punjab/lahore is a district; its bills are pending in the assembly of punjab",
            id="district",
        ),
        pytest.param(
            ("dissolve", "islamabad", "--on", EARLIER, "--as", "chair@example.org"),
            1,
            "islamabad has no provincial assembly",
            id="islamabad",
        ),
        pytest.param(
            ("dissolve", "punjab", "--on", EARLIER, "--as", "law.officer.punjab@example.org"),
            3,
            "law.officer.punjab@example.org is officer for punjab; the chair, a federal"
            " secretary or the chief secretary of punjab records it",
            id="an-officer",
        ),
        pytest.param(
            ("dissolve", "punjab", "--on", "2999-01-01", "--as", CS_PUNJAB),
            2,
            "that day has not come yet",
            id="future",
        ),
        pytest.param(
            ("summon", "punjab", "--on", EARLIER, "--as", CS_PUNJAB),
            2,
            "it is sitting; only a prorogued or dissolved assembly is summoned",
            id="summon-sitting",
        ),
        pytest.param(
            ("dissolve", "punjab", "--on", EARLIER, "--as", "nobody@example.org"),
            4,
            "no person with email nobody@example.org",
            id="nobody",
        ),
    ],
)
def test_a_wrong_assembly_event_is_refused_in_one_line_and_records_nothing(
    loaded_taskforce: Taskforce, args: tuple[str, ...], code: int, says: str
) -> None:
    assert says in refused(loaded_taskforce("assembly", *args), code)
    assert ok(loaded_taskforce("assembly", "list", "--json")).stdout.strip() == "[]"


def test_dissolving_the_punjab_assembly_lapses_the_bill_introduced_there(
    taskforce: Taskforce,
) -> None:
    ok(taskforce("init"))
    ok(taskforce("load"))
    officer, secretary = "law.officer.punjab@example.org", "law.secretary.punjab@example.org"
    for action, person, fields in (
        ("send_for_vetting", officer, ()),
        ("vet", officer, ()),
        ("approve_in_cabinet", secretary, ("cabinet_decision=CAB/2026/14",)),
        ("introduce", officer, ("bill_number=Bill No. 12", f"introduced_on={EARLIER}")),
    ):
        flags = [part for field in fields for part in ("--field", field)]
        ok(taskforce("advance", "CMB-PUNJAB", action, "--as", person, *flags))

    dissolve = ("assembly", "dissolve", "punjab", "--on", LATER, "--as", CS_PUNJAB)
    would = ok(taskforce(*dissolve, "--dry-run")).stdout
    assert "would do this (dry run: nothing recorded or changed)" in would
    assert "CMB-PUNJAB" in would and "to_be_reintroduced" in would
    assert json.loads(ok(taskforce("show", "CMB-PUNJAB", "--json")).stdout)["stage"] == (
        "introduced"
    )

    done = json.loads(ok(taskforce(*dissolve, "--reason", "Order No. PAP-7", "--json")).stdout)
    assert done["moved"] == [
        {"key": "CMB-PUNJAB", "from_stage": "introduced", "to_stage": "to_be_reintroduced"}
    ]
    shown = json.loads(ok(taskforce("show", "CMB-PUNJAB", "--json")).stdout)
    assert (shown["stage"], shown["status"]) == ("to_be_reintroduced", "open")
    assert shown["history"][-1]["comment"].startswith("Article 117")
    assert "Order No. PAP-7" in shown["history"][-1]["comment"]

    said = refused(taskforce(*dissolve), 2)
    assert f"it was dissolved on {LATER}; a new assembly is summoned first" in said
    assert len(json.loads(ok(taskforce("assembly", "list", "--json")).stdout)) == 1
