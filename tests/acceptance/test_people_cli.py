"""`taskforce people add|update|deactivate|acting`, `reassign`, `handover`, run as a user would."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.acceptance.conftest import Run

Taskforce = Callable[..., Run]
ADMIN = "admin@example.org"
NEW = "ayesha.khan@example.org"
HR_PUNJAB = "hr.officer.punjab@example.org"


def ok(done: Run) -> Run:
    assert (done.code, done.stderr) == (0, ""), f"taskforce {' '.join(done.args)}: {done.stderr}"
    return done


def refused(done: Run, code: int) -> str:
    """The one line of error, after checking the exit code and that there is no traceback."""
    assert done.code == code, (done.args, done.code, done.stderr)
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    return done.said


def people_json(taskforce: Taskforce) -> dict[str, dict[str, Any]]:
    return {p["email"]: p for p in json.loads(ok(taskforce("people", "--json")).stdout)}


def test_people_change_and_items_change_hands_from_the_command_line(taskforce: Taskforce) -> None:
    ok(taskforce("load"))  # a SQLite schema is brought up to date by any command
    add = (
        "people", "add", NEW, "--name", "Ayesha Khan", "--role", "officer",
        "--jurisdiction", "punjab", "--department", "human_rights",
    )  # fmt: skip
    # The role decides who may change people (wrong values are the unit tests' business).
    assert "only the administrator or the chair" in refused(taskforce(*add, "--as", HR_PUNJAB), 3)
    assert f"Added {NEW}" in ok(taskforce(*add, "--language", "ur", "--as", ADMIN)).stdout
    assert "--name, --role" in refused(taskforce("people", "update", NEW, "--as", ADMIN), 1)

    # Reassign: refused to someone outside the item's jurisdiction, then done.
    said = refused(
        taskforce("reassign", "DHRC-PUNJAB", "--to", "hr.officer.sindh@example.org", "--as", ADMIN),
        3,
    )
    assert "it belongs to punjab" in said
    moved = json.loads(
        ok(
            taskforce(
                "reassign", "DHRC-PUNJAB", "--to", NEW, "--as", ADMIN, "--reason", "Cover", "--json"
            )
        ).stdout
    )
    assert moved == {"key": "DHRC-PUNJAB", "from": HR_PUNJAB, "to": NEW, "seq": 2, "version": 2}

    # Deactivate: the person's open items are listed as needing a new holder.
    done = ok(taskforce("people", "deactivate", HR_PUNJAB, "--as", ADMIN, "--reason", "Left"))
    assert "1 open item(s) need a new holder: PTF-PUNJAB" in done.stdout
    ok(
        taskforce(
            "people", "acting", "law.officer.sindh@example.org", "--for",
            "women.officer.sindh@example.org", "--until", "2099-12-31", "--as", ADMIN,
        )
    )  # fmt: skip
    listed = people_json(taskforce)
    assert listed["law.officer.sindh@example.org"]["acting_for"] == [
        {"for": "women.officer.sindh@example.org", "until": "2099-12-31"}
    ]
    assert (listed[NEW]["language"], listed[NEW]["open_items"]) == ("ur", ["DHRC-PUNJAB"])
    gone = listed[HR_PUNJAB]
    assert (gone["active"], gone["needs_new_holder"]) == (False, ["PTF-PUNJAB"])
    officer_items = json.loads(ok(taskforce("list", "--officer", HR_PUNJAB, "--json")).stdout)
    assert [item["key"] for item in officer_items] == ["PTF-PUNJAB"]
    assert "no longer active" in refused(
        taskforce("reassign", "PTF-PUNJAB", "--to", NEW, "--as", HR_PUNJAB), 4
    )

    # Hand-over: every open item of the person who left.
    assert (
        "1 item(s) handed over to"
        in ok(taskforce("handover", HR_PUNJAB, "--to", NEW, "--as", ADMIN)).stdout
    )
