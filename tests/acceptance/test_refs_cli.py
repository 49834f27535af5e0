"""`list --ref/--tag`, `show`, `refs` and `report refs` on the bundled meeting, end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.slow

Taskforce = Callable[..., Any]
SECRETARY = "law.secretary.punjab@example.org"
OFFICER = "law.officer.punjab@example.org"


def ok(done: Any) -> Any:
    assert (done.code, done.stderr) == (0, ""), f"taskforce {' '.join(done.args)}: {done.stderr}"
    return done


def refused(done: Any, code: int) -> str:
    assert done.code == code, (done.code, done.stderr)
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    return str(done.said)


def test_references_and_tags_from_the_meeting_to_the_report(taskforce: Taskforce) -> None:
    ok(taskforce("load"))
    listed = json.loads(
        ok(taskforce("list", "--ref", "sdg:5.3", "--tag", "child-marriage", "--json")).stdout
    )
    assert [r["key"] for r in listed] == [
        "CMB-BALOCHISTAN",
        "CMB-KP",
        "CMB-PUNJAB",
        "FSC-RULING-2023",
    ]
    assert {(tuple(r["refs"]), tuple(r["tags"])) for r in listed} == {
        (("sdg:5.3",), ("child-marriage",))
    }

    changed = json.loads(
        ok(
            taskforce(
                "refs", "CMB-PUNJAB", "--as", SECRETARY, "--add", "UPR:4/152.123",
                "--tag", "Girls", "--untag", "child-marriage", "--json",
            )
        ).stdout
    )  # fmt: skip
    assert changed["refs"] == ["sdg:5.3", "upr:4/152.123"]
    assert changed["tags"] == ["girls"]
    assert (
        "refs and tags: sdg:5.3, upr:4/152.123, #girls"
        in ok(taskforce("show", "CMB-PUNJAB")).stdout
    )

    said = refused(taskforce("refs", "CMB-PUNJAB", "--as", OFFICER, "--tag", "x"), 3)
    assert "a secretary or above over punjab" in said
    said = refused(taskforce("report", "refs", "--kind", "goal"), 2)
    assert "unknown kind of reference 'goal'; the kinds are upr, treaty, sdg, nap" in said
    said = refused(taskforce("list", "--ref", "treaty:CEDAW/C/PAK/CO/5"), 2)
    assert "treaty reference 'treaty:CEDAW/C/PAK/CO/5' is not in the treaty form" in said

    report = json.loads(ok(taskforce("report", "refs", "--kind", "sdg", "--json")).stdout)
    assert report == [
        {
            "reference": "sdg:5.3",
            "commitments": 4,
            "completed": 0,
            "open": 4,
            "stalled": report[0]["stalled"],
            "withdrawn_or_lapsed": 0,
            "keys": ["CMB-BALOCHISTAN", "CMB-KP", "CMB-PUNJAB", "FSC-RULING-2023"],
        }
    ]
