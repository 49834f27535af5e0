"""`taskforce sweep` says which items the system acted on when their stage's time limit
passed (a bill presented again, deemed assented under Article 116(3)), as it says which
lapsed; then the gazette notification starts the act's follow-up, shown under the bill."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db import pipelines, workflow
from db.engine import make_engine, session_factory, transaction
from tests.acceptance.conftest import Run

LAW_OFFICER = "law.officer.punjab@example.org"
LAW_SECRETARY = "law.secretary.punjab@example.org"
CHIEF_SECRETARY = "cs.punjab@example.org"
# Presented again to the governor on 15 June 2026 (Pakistan time).
PRESENTED = datetime(2026, 6, 15, 5, 0, tzinfo=UTC)
STEPS: list[tuple[str, str, dict[str, str], str | None]] = [
    ("send_for_vetting", LAW_OFFICER, {}, None),
    ("vet", LAW_SECRETARY, {}, None),
    ("approve_in_cabinet", CHIEF_SECRETARY, {"cabinet_decision": "CAB-2026-41"}, None),
    (
        "introduce",
        CHIEF_SECRETARY,
        {"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-06-14"},
        None,
    ),
    ("pass", LAW_OFFICER, {"passed_on": "2026-06-14"}, None),
    ("send_for_assent", LAW_OFFICER, {}, None),
    ("return_by_governor", LAW_SECRETARY, {}, "The governor asks that clause 4 be reconsidered"),
    ("pass_again", LAW_OFFICER, {"passed_again_on": "2026-06-15"}, None),
]


def ok(run: Run) -> Run:
    assert run.code == 0, f"{run.args} exited {run.code}: {run.stderr}"
    return run


def _presented_again(database_url: str) -> None:
    """CMB-PUNJAB walked to the governor a second time, each step a minute apart."""
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine)
        start = PRESENTED - timedelta(minutes=len(STEPS))
        for minute, (action, actor, fields, comment) in enumerate(STEPS, start=1):
            with transaction(sessions) as session:
                workflow.advance(
                    session,
                    pipelines.registered(session),
                    key="CMB-PUNJAB",
                    action=action,
                    actor_email=actor,
                    fields=fields,
                    comment=comment,
                    now=start + timedelta(minutes=minute),
                )
    finally:
        engine.dispose()


def test_the_sweep_says_which_bill_it_deemed_assented_and_enactment_starts_its_follow_up(
    taskforce: Callable[..., Run], tmp_path: Path
) -> None:
    ok(taskforce("init"))
    ok(taskforce("load"))
    _presented_again(f"sqlite:///{tmp_path}/taskforce.sqlite3")

    # The tenth day is not over yet: nothing is deemed, and nothing is said of it.
    early = ok(taskforce("sweep", "--now", "2026-06-25T23:00", "--direct")).stdout
    assert "CMB-PUNJAB: its stage's time limit passed" not in early

    swept = ok(taskforce("sweep", "--now", "2026-06-26T09:00", "--direct")).stdout
    assert (
        "CMB-PUNJAB: its stage's time limit passed, so the system took the stage's action"
        " (a bill presented again: assent deemed given); its history says what was done"
    ) in " ".join(swept.split())
    shown = json.loads(ok(taskforce("show", "CMB-PUNJAB", "--json")).stdout)
    assert shown["stage"] == "assent_deemed"

    ok(
        taskforce(
            "advance", "CMB-PUNJAB", "notify_in_gazette", "--as", LAW_OFFICER,
            "--field", "act_number=Act XIV of 2026",
            "--field", "gazette_notification=PJG-2026-991",
        )
    )  # fmt: skip
    bill = json.loads(ok(taskforce("show", "CMB-PUNJAB", "--json")).stdout)
    assert bill["status"] == "completed"
    assert bill["children"] == [
        {"key": "CMB-PUNJAB-ACT", "stage": "rules_drafting", "status": "open"}
    ]
    act = json.loads(ok(taskforce("show", "CMB-PUNJAB-ACT", "--json")).stdout)
    assert (act["pipeline"], act["parent"]) == ("post_enactment", "CMB-PUNJAB")
    [created] = json.loads(ok(taskforce("history", "CMB-PUNJAB-ACT", "--json")).stdout)
    assert "Act number: Act XIV of 2026" in created["comment"]
