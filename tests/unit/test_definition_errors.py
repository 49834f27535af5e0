"""Broken pipeline files: each problem is refused with the file, line, key and a way out."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.catalogue import Catalogue, load_pipeline_file
from states.errors import DefinitionError, VersionConflictError

VALID = """\
# A tiny pipeline the broken files below are made from.
key: demo
version: 1
title: Demo
initial: open
stages:
  - key: open
    title: Open
    owner: officer
    time_limit: 5
  - key: done
    title: Done
    owner: officer
    terminal: true
    outcome: completed
transitions:
  - action: finish
    title: Finish
    from: open
    to: done
    roles: [officer]
"""

EXTRA_STAGE = """\
  - key: {key}
    title: Extra
    owner: officer
"""


def edit(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def line_of(text: str, needle: str | tuple[str, int], occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line containing `needle`."""
    if isinstance(needle, tuple):
        needle, occurrence = needle
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not in the test file"
    return hits[occurrence - 1]


def refuse(tmp_path: Path, text: str, name: str = "demo.yaml") -> tuple[Path, DefinitionError]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_pipeline_file(path)
    return path, caught.value


def test_the_base_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(VALID, encoding="utf-8")
    pipeline = load_pipeline_file(path)
    assert (pipeline.key, pipeline.version, pipeline.initial) == ("demo", 1, "open")


# Each case: the broken file, the text of the line the error must point at,
# and fragments the message must contain (the offending key and what is allowed).
CASES = {
    "unknown target stage": (
        edit("    to: done\n", "    to: finished\n"),
        "to: finished",
        ["transitions[0].to", "unknown stage 'finished'", "'finish'", "stages are open, done"],
    ),
    "unknown source stage": (
        edit("    from: open\n", "    from: [open, opne]\n"),
        "from: [open, opne]",
        ["transitions[0].from[1]", "unknown stage 'opne'", "stages are open, done", "*"],
    ),
    "unreachable stage": (
        edit("transitions:\n", EXTRA_STAGE.format(key="limbo") + "transitions:\n")
        + "  - action: leave\n    title: Leave\n    from: limbo\n    to: done\n"
        "    roles: [officer]\n",
        "- key: limbo",
        ["stages[2].key", "'limbo' is unreachable", "initial stage 'open'", "add a transition"],
    ),
    "stage with no way out": (
        edit("transitions:\n", EXTRA_STAGE.format(key="stuck") + "transitions:\n")
        + "  - action: park\n    title: Park\n    from: open\n    to: stuck\n"
        "    roles: [officer]\n",
        "- key: stuck",
        ["stages[2].key", "'stuck' is not terminal but has no way out", "terminal: true"],
    ),
    "cycle with no way to finish": (
        edit(
            "transitions:\n",
            EXTRA_STAGE.format(key="loop_a") + EXTRA_STAGE.format(key="loop_b") + "transitions:\n",
        )
        + "  - action: go\n    title: Go\n    from: open\n    to: loop_a\n    roles: [officer]\n"
        "  - action: onward\n    title: Onward\n    from: loop_a\n    to: loop_b\n"
        "    roles: [officer]\n"
        "  - action: back\n    title: Back\n    from: loop_b\n    to: loop_a\n"
        "    roles: [officer]\n",
        "- key: loop_a",
        ["stages[2].key", "from stage 'loop_a' no terminal stage can be reached", "never finish"],
    ),
    "duplicate stage key": (
        edit("transitions:\n", EXTRA_STAGE.format(key="done") + "transitions:\n"),
        "- key: done",
        ["stages[1].key", "duplicate stage key 'done'", "must be unique"],
    ),
    "duplicate mapping key": (
        edit("title: Demo\n", "title: Demo\ntitle: Demo again\n"),
        "title: Demo again",
        ["duplicate key 'title'", "each key may appear once"],
    ),
    "duplicate action from one stage": (
        VALID + "  - action: finish\n    title: Finish differently\n    from: open\n"
        "    to: open\n    roles: [officer]\n",
        ("- action: finish", 2),
        [
            "transitions[1].action",
            "duplicate action 'finish' from stage 'open'",
            "(also transitions[0])",
        ],
    ),
    "bad ISO duration": (
        edit("initial: open\n", "initial: open\ndeadline: P1X\n"),
        "deadline: P1X",
        ["deadline", "'P1X' is not an ISO 8601 duration", "P1M"],
    ),
    "wrong type": (
        edit("version: 1\n", 'version: "one"\n'),
        'version: "one"',
        ["version", "valid integer", "'one'"],
    ),
    "misspelt key": (
        edit("    time_limit: 5\n", "    tme_limit: 5\n"),
        "tme_limit: 5",
        ["stages[0].tme_limit", "unknown key 'tme_limit'", "allowed here:", "time_limit"],
    ),
    "unknown role": (
        edit("roles: [officer]", "roles: [officer, king]"),
        "roles: [officer, king]",
        ["transitions[0].roles[1]", "'king'", "'officer'", "'chief_secretary'", "'chair'"],
    ),
    "terminal stage without outcome": (
        edit("    outcome: completed\n", ""),
        "- key: done",
        ["stages[1].outcome", "terminal stage 'done' needs an outcome", "completed, withdrawn"],
    ),
    "ladder not ending with the chair": (
        VALID + "ladder:\n  - level: 1\n    after: 0\n    notify: officer\n"
        "  - level: 2\n    after: 3\n    notify: secretary\n",
        "notify: secretary",
        ["ladder[1].notify", "last level must notify the chair, not secretary"],
    ),
    "ladder levels out of order": (
        VALID + "ladder:\n  - level: 2\n    after: 0\n    notify: officer\n"
        "  - level: 1\n    after: 3\n    notify: chair\n",
        "level: 2",
        ["ladder[0].level", "levels must count up from 1; expected 1"],
    ),
    "undeclared field": (
        edit("    outcome: completed\n", "    outcome: completed\n    requires: [act_number]\n"),
        "requires: [act_number]",
        ["stages[1].requires[0]", "unknown field 'act_number'", "declare it under fields:"],
    ),
    "unknown roll-up action": (
        edit("initial: open\n", "initial: open\non_children_done: finalise\n"),
        "on_children_done: finalise",
        ["on_children_done", "unknown action 'finalise'", "actions are finish"],
    ),
    "YAML syntax error": (
        edit("    roles: [officer]\n", "    roles: [officer\n    comment: required\n"),
        "comment: required",
        ["not valid YAML"],
    ),
    "anchor": (
        edit("title: Demo\n", "title: &name Demo\n"),
        "title: &name Demo",
        ["anchors (&name) are not allowed", "write the value out"],
    ),
    "alias": (
        edit("    title: Finish\n", "    title: *name\n"),
        "title: *name",
        ["aliases (*name) are not allowed", "write the value out"],
    ),
    "explicit tag": (
        edit("title: Demo\n", "title: !!python/object:os.system Demo\n"),
        "!!python/object",
        ["tags such as", "python/object", "not allowed; write plain values"],
    ),
}


@pytest.mark.parametrize(("text", "line_text", "fragments"), CASES.values(), ids=list(CASES))
def test_broken_file_is_refused_with_its_location(
    tmp_path: Path, text: str, line_text: str | tuple[str, int], fragments: list[str]
) -> None:
    path, error = refuse(tmp_path, text)
    expected_line = line_of(text, line_text)
    assert error.source == str(path)
    assert any(f.line == expected_line for f in error.findings), error.message
    assert f"{path}:{expected_line}: " in error.message
    for fragment in fragments:
        assert fragment in error.message


def test_duplicate_stage_key_is_reported_at_both_places(tmp_path: Path) -> None:
    text = edit("transitions:\n", EXTRA_STAGE.format(key="open") + "transitions:\n")
    _, error = refuse(tmp_path, text)
    flagged = {(f.path, f.line) for f in error.findings if "duplicate stage key" in f.message}
    assert flagged == {
        ("stages[0].key", line_of(text, "- key: open", 1)),
        ("stages[2].key", line_of(text, "- key: open", 2)),
    }


def test_unknown_role_is_located_on_its_own_line(tmp_path: Path) -> None:
    text = edit("roles: [officer]", "roles:\n      - officer\n      - king")
    path, error = refuse(tmp_path, text)
    assert f"{path}:{line_of(text, '- king')}: transitions[0].roles[1]" in error.message


def test_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    data = VALID.replace("title: Demo", "title: Caf\u00e9").encode("latin-1")
    path.write_bytes(data)
    with pytest.raises(DefinitionError) as caught:
        load_pipeline_file(path)
    assert str(path) in caught.value.message
    offset = data.index("é".encode("latin-1"))
    assert f"not UTF-8 text (byte {offset})" in caught.value.message
    assert "save it as UTF-8" in caught.value.message


def test_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(DefinitionError) as caught:
        load_pipeline_file(path)
    assert caught.value.message == f"{path}: no such file"


@pytest.mark.parametrize("key", ["? [a, b]\n: 1\n", "{a: 1}: 2\n"], ids=["sequence", "mapping"])
def test_unhashable_mapping_key_is_a_located_refusal(tmp_path: Path, key: str) -> None:
    text = VALID + key
    path, error = refuse(tmp_path, text)
    assert f"{path}:{len(VALID.splitlines()) + 1}: " in error.message


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = edit("version: 1\n", 'version: "one"\n')
    text = edit("    time_limit: 5\n", "    tme_limit: 5\n", text)
    text = edit("roles: [officer]", "roles: [officer, king]", text)
    path, error = refuse(tmp_path, text)
    lines = error.message.splitlines()
    assert len(error.findings) == 3
    assert lines[0].startswith(f"{path}:{line_of(text, 'version:')}: version:")
    assert any(line.startswith(f"{path}:{line_of(text, 'tme_limit')}: ") for line in lines)
    assert any(line.startswith(f"{path}:{line_of(text, 'king')}: ") for line in lines)


def test_several_structural_problems_are_reported_together(tmp_path: Path) -> None:
    text = edit("    to: done\n", "    to: finished\n")
    text = edit("    outcome: completed\n", "    outcome: completed\n    requires: [x]\n", text)
    text += "ladder:\n  - level: 1\n    after: 0\n    notify: officer\n"
    _, error = refuse(tmp_path, text)
    paths = {f.path for f in error.findings}
    assert {"transitions[0].to", "stages[1].requires[0]", "ladder[0].notify"} <= paths


# --- Catalogue version rules -------------------------------------------------


def _write(directory: Path, text: str, name: str = "demo.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_changed_definition_under_the_same_version_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path / "a", VALID)
    second = _write(tmp_path / "b", edit("title: Demo\n", "title: Demo, renamed\n"))
    with pytest.raises(VersionConflictError) as caught:
        Catalogue.from_directories([tmp_path / "a", tmp_path / "b"])
    message = caught.value.message
    assert str(first) in message
    assert str(second) in message
    assert "'demo' version 1" in message
    assert "new version number (e.g. version: 2)" in message


def test_identical_definition_in_two_files_is_accepted(tmp_path: Path) -> None:
    _write(tmp_path / "a", VALID)
    _write(tmp_path / "b", VALID, name="copy.yaml")
    catalogue = Catalogue.from_directories([tmp_path / "a", tmp_path / "b"])
    assert [(p.key, p.version) for p in catalogue.all()] == [("demo", 1)]
    assert catalogue.origin("demo", 1) == str(tmp_path / "a" / "demo.yaml")


def test_a_new_version_sits_beside_the_old_one(tmp_path: Path) -> None:
    _write(tmp_path, VALID)
    _write(tmp_path, edit("version: 1\n", "version: 2\n").replace("Demo", "Demo 2"), "v2.yaml")
    catalogue = Catalogue.from_directories([tmp_path])
    assert [(p.key, p.version) for p in catalogue.all()] == [("demo", 1), ("demo", 2)]
    assert catalogue.get("demo").version == 2
    assert catalogue.get("demo", 1).title.en == "Demo"


def test_comments_and_layout_do_not_change_the_checksum(tmp_path: Path) -> None:
    original = load_pipeline_file(_write(tmp_path / "a", VALID))
    recommented = edit("# A tiny", "# Another comment entirely. A tiny")
    recommented = edit("    to: done\n", "    to: done   # where it ends\n", recommented)
    recommented = edit("roles: [officer]", "roles:\n      - officer", recommented)
    same = load_pipeline_file(_write(tmp_path / "b", recommented))
    changed = load_pipeline_file(_write(tmp_path / "c", edit("time_limit: 5", "time_limit: 6")))
    assert same.checksum() == original.checksum()
    assert changed.checksum() != original.checksum()


def test_problems_in_several_files_are_reported_together(tmp_path: Path) -> None:
    bad_role = _write(tmp_path, edit("roles: [officer]", "roles: [king]"), "a.yaml")
    bad_stage = _write(tmp_path, edit("    to: done\n", "    to: nowhere\n"), "b.yaml")
    with pytest.raises(DefinitionError) as caught:
        Catalogue.from_directories([tmp_path])
    message = caught.value.message
    assert f"{bad_role}:{line_of(VALID, 'roles:')}: " in message
    assert f"{bad_stage}:{line_of(VALID, 'to: done')}: " in message
