"""`pipelines diff`: what a new version of a pipeline changes, part by part."""

from __future__ import annotations

from typing import Any

from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.definition import Pipeline
from states.pipeline_diff import Detail, Kind, Part, diff

BILL = Catalogue.from_directories([BUNDLED_PIPELINES]).get("provincial_bill")


def _edited(**changes: Any) -> Pipeline:
    """The bundled bill pipeline as its file would say it, one version on, with `changes`."""
    written = BILL.model_dump(mode="json", by_alias=True, exclude_none=True)
    return Pipeline.model_validate({**written, "version": BILL.version + 1, **changes})


def test_the_same_pipeline_has_no_changes_and_a_new_version_number_is_not_one() -> None:
    assert diff(BILL, BILL) == []
    assert diff(BILL, _edited()) == []


def test_stages_added_removed_and_changed_are_told_apart_with_what_changed() -> None:
    written = BILL.model_dump(mode="json", by_alias=True, exclude_none=True)
    first, *rest = written["stages"]
    awaiting = {
        "key": "legislation_committee",
        "title": {"en": "Cabinet committee on legislation"},
        "owner": "secretary",
    }
    longer = {**rest[0], "time_limit": 99, "owner": "chief_secretary"}
    changed = diff(BILL, _edited(stages=[longer, *rest[1:], awaiting]))

    stages = [(c.key, c.kind) for c in changed if c.part is Part.STAGE]
    assert stages == [
        (rest[0]["key"], Kind.CHANGED),
        ("legislation_committee", Kind.ADDED),
        (first["key"], Kind.REMOVED),
    ]
    assert changed[0].details == (
        Detail("owner", rest[0]["owner"], "chief_secretary"),
        Detail("time_limit", rest[0]["time_limit"], 99),
    )


def test_rungs_fields_and_settings_are_compared_too() -> None:
    written = BILL.model_dump(mode="json", by_alias=True, exclude_none=True)
    changed = diff(
        BILL,
        _edited(
            ladder=written["ladder"][:-1],
            fields={**written["fields"], "gazette_number": {"title": {"en": "Gazette number"}}},
            snooze_max_days=BILL.snooze_max_days + 5,
        ),
    )

    assert [(c.part, c.key, c.kind) for c in changed] == [
        (Part.SETTING, "snooze_max_days", Kind.CHANGED),
        (Part.FIELD, "gazette_number", Kind.ADDED),
        (Part.RUNG, str(BILL.ladder[-1].level), Kind.REMOVED),
    ]
    assert changed[0].as_record() == {
        "part": "setting",
        "key": "snooze_max_days",
        "change": "changed",
        "details": [
            {
                "name": "snooze_max_days",
                "before": BILL.snooze_max_days,
                "after": BILL.snooze_max_days + 5,
            }
        ],
    }
