"""Stages pending in the assembly, the action a dissolution takes on them, and the action
the system takes once a stage's time limit has passed: each declared, checked, and left out
of the checksum while unused."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.catalogue import load_pipeline_file
from states.errors import DefinitionError

# A bill that lapses from the assembly to be reintroduced, and whose assent is deemed given.
BILL = """\
key: bill
version: 1
title: Bill
initial: drafting
on_dissolution: lapse
stages:
  - key: drafting
    title: Drafting
    owner: officer
    time_limit: 5
  - key: introduced
    title: Introduced
    owner: officer
    time_limit: 10
    assembly: true
  - key: assent
    title: Assent
    owner: secretary
    time_limit: 10
    clock: calendar_days
    on_time_limit: deem_assent
  - key: to_be_reintroduced
    title: To be reintroduced
    owner: secretary
    time_limit: 30
  - key: enacted
    title: Enacted
    owner: officer
    terminal: true
    outcome: completed
  - key: withdrawn
    title: Withdrawn
    owner: officer
    terminal: true
    outcome: withdrawn
transitions:
  - action: introduce
    title: Introduce
    from: drafting
    to: introduced
    roles: [officer]
  - action: pass
    title: Pass
    from: introduced
    to: assent
    roles: [officer]
  - action: record_assent
    title: Record assent
    from: assent
    to: enacted
    roles: [secretary]
  - action: deem_assent
    title: Assent deemed given
    from: assent
    to: enacted
    roles: [system]
  - action: lapse
    title: Lapse
    from: introduced
    to: to_be_reintroduced
    roles: [system]
  - action: reintroduce
    title: Reintroduce
    from: to_be_reintroduced
    to: introduced
    roles: [secretary]
  - action: withdraw
    title: Withdraw
    from: "*"
    to: withdrawn
    roles: [secretary]
"""

# The same pipeline without the new settings, and with them written out at their defaults.
PLAIN = (
    BILL.replace("on_dissolution: lapse\n", "")
    .replace("    assembly: true\n", "")
    .replace("    on_time_limit: deem_assent\n", "")
)
DEFAULTS_SPELT_OUT = PLAIN.replace(
    "initial: drafting\n", "initial: drafting\non_dissolution: null\n"
).replace(
    "    time_limit: 5\n", "    time_limit: 5\n    assembly: false\n    on_time_limit: null\n"
)


def edit(old: str, new: str, text: str = BILL) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_bill_with_assembly_stages_and_deemed_assent_loads(tmp_path: Path) -> None:
    pipeline = load_pipeline_file(_write(tmp_path, BILL))
    assert pipeline.on_dissolution == "lapse"
    assert [stage.key for stage in pipeline.assembly_stages()] == ["introduced"]
    assert pipeline.stage("assent").on_time_limit == "deem_assent"
    assert pipeline.stage("drafting").on_time_limit is None
    assert not pipeline.stage("drafting").assembly


def test_the_settings_change_the_checksum_only_when_used(tmp_path: Path) -> None:
    used = load_pipeline_file(_write(tmp_path, BILL, "used.yaml"))
    plain = load_pipeline_file(_write(tmp_path, PLAIN, "plain.yaml"))
    spelt_out = load_pipeline_file(_write(tmp_path, DEFAULTS_SPELT_OUT, "spelt.yaml"))
    assert spelt_out.checksum() == plain.checksum()
    assert used.checksum() != plain.checksum()
    canonical = plain.canonical_json()
    for name in ("on_dissolution", "assembly", "on_time_limit"):
        assert f'"{name}"' not in canonical
    # Each setting is a change of rule: every combination has a checksum of its own.
    without_dissolution = edit("on_dissolution: lapse\n", "")
    variants = [
        BILL,
        without_dissolution,
        edit("    assembly: true\n", "", without_dissolution),
        edit("    on_time_limit: deem_assent\n", ""),
        PLAIN,
    ]
    checksums = {
        load_pipeline_file(_write(tmp_path, text, f"variant{number}.yaml")).checksum()
        for number, text in enumerate(variants)
    }
    assert len(checksums) == len(variants)


def _write(directory: Path, text: str, name: str = "bill.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


CASES = {
    "dissolution by an unknown action": (
        edit("on_dissolution: lapse\n", "on_dissolution: dissolve\n"),
        "on_dissolution: dissolve",
        ["on_dissolution", "unknown action 'dissolve'", "actions are deem_assent, introduce"],
    ),
    "dissolution by a person's action": (
        edit("on_dissolution: lapse\n", "on_dissolution: pass\n"),
        "on_dissolution: pass",
        ["on_dissolution", "action 'pass' must be allowed to role system"],
    ),
    "dissolution with no stage in the assembly": (
        edit("    assembly: true\n", ""),
        "on_dissolution: lapse",
        ["on_dissolution", "no stage is pending in the assembly", "assembly: true"],
    ),
    "dissolution that misses an assembly stage": (
        edit("    time_limit: 5\n", "    time_limit: 5\n    assembly: true\n"),
        "on_dissolution: lapse",
        [
            "action 'lapse' must be possible from every stage pending in the assembly",
            "it is not from drafting",
        ],
    ),
    "dissolution that stays in the assembly": (
        edit(
            "    from: introduced\n    to: to_be_reintroduced\n",
            "    from: introduced\n    to: introduced\n",
        ),
        "on_dissolution: lapse",
        ["action 'lapse' leads to 'introduced', which is pending in the assembly"],
    ),
    "an ended stage in the assembly": (
        edit("    outcome: withdrawn\n", "    outcome: withdrawn\n    assembly: true  # ended\n"),
        "# ended",
        ["terminal stage 'withdrawn' cannot be pending in the assembly"],
    ),
    "time-limit action without a time limit": (
        edit("    time_limit: 10\n    clock: calendar_days\n", ""),
        "on_time_limit: deem_assent",
        [
            "stages[2].on_time_limit",
            "stage 'assent' has on_time_limit but no time_limit",
            "add a time_limit",
        ],
    ),
    "time-limit action unknown": (
        edit("on_time_limit: deem_assent", "on_time_limit: deem"),
        "on_time_limit: deem",
        ["stages[2].on_time_limit", "unknown action 'deem'", "actions are deem_assent"],
    ),
    "time-limit action from another stage": (
        edit("on_time_limit: deem_assent", "on_time_limit: lapse"),
        "on_time_limit: lapse",
        ["stages[2].on_time_limit", "action 'lapse' does not start from stage 'assent'"],
    ),
    "time-limit action taken by a person": (
        edit("on_time_limit: deem_assent", "on_time_limit: record_assent"),
        "on_time_limit: record_assent",
        ["stages[2].on_time_limit", "action 'record_assent' must be allowed to role system"],
    ),
}


@pytest.mark.parametrize(("text", "line_text", "fragments"), CASES.values(), ids=list(CASES))
def test_a_misdeclared_setting_is_refused_with_its_location(
    tmp_path: Path, text: str, line_text: str, fragments: list[str]
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DefinitionError) as caught:
        load_pipeline_file(path)
    message = caught.value.message
    expected_line = line_of(text, line_text)
    assert f"{path}:{expected_line}: " in message, message
    for fragment in fragments:
        assert fragment in message, message
