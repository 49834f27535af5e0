"""Fuzzed pipeline, meeting and calendar files: a valid result or a located refusal, nothing else.

The readers once let PyYAML's reader error (a control character or NUL), a
RecursionError (20,000 nested brackets) and a ValueError (a 5,000-digit number)
escape, which the command line reports as an internal error, exit 70. Every
input must now give either a definition or a DefinitionError whose every finding
names the file and a line. The inputs are the bundled files mutated byte by byte
(flipped bytes, control characters, invalid UTF-8, deep nesting, huge values,
cuts) and text made up from scratch.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from states.calendar import load_calendar
from states.catalogue import BUNDLED_PIPELINES, load_pipeline_file
from states.errors import DefinitionError
from states.meeting import load_meeting_file
from taskforce.data import BUNDLED_MEETING

CALENDAR_EXAMPLE = Path(__file__).parents[2] / "states" / "calendars" / "closed_days.example.yaml"
PIPELINE_FILE = BUNDLED_PIPELINES / "provincial_bill.yaml"
TASKFORCE = Path(sys.executable).parent / "taskforce"

READERS: dict[str, tuple[Path, Callable[[Path], Any]]] = {
    "pipeline": (PIPELINE_FILE, load_pipeline_file),
    "meeting": (BUNDLED_MEETING, load_meeting_file),
    "calendar": (CALENDAR_EXAMPLE, load_calendar),
}
FUZZ = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

# Bytes that make trouble: NUL and other controls, DEL, a UTF-8 NEL and line separator,
# bytes that are never UTF-8, a lone surrogate's encoding, YAML's own syntax.
TROUBLE = [
    b"\x00", b"\x01", b"\x1b", b"\x7f", b"\xc2\x85", b"\xe2\x80\xa8", b"\xff", b"\xc3",
    b"\xed\xa0\x80", b"\t", b"\r", b'"\\0"', b'"\\x01"', b"&a", b"*a", b"!!python/none",
    b"[", b"{", b": ", b"- ", b"'", b'"', b"#",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` with a few mutations at drawn positions."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "nest", "huge", "number", "cut"]))
        if kind == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(TROUBLE))
        elif kind == "nest":
            depth = draw(st.sampled_from([60, 1_000, 20_000]))
            data[at:at] = b"[" * depth + b"]" * depth
        elif kind == "huge":
            data[at:at] = draw(st.sampled_from([b"x", b"\xd8\xb9"])) * draw(
                st.sampled_from([400, 5_000, 200_000])
            )
        elif kind == "number":
            data[at:at] = b"9" * draw(st.sampled_from([20, 5_000]))
        elif kind == "cut":
            del data[at:]
    return bytes(data)


def _read(reader: Callable[[Path], Any], path: Path) -> None:
    """Read `path`; a refusal must locate every finding in the file."""
    try:
        reader(path)
    except DefinitionError as error:
        assert error.findings, error.message
        for finding in error.findings:
            assert finding.line is not None and finding.line >= 1, error.message
            assert finding.render(str(path)).startswith(f"{path}:{finding.line}: ")
        assert len(error.message) < 20_000, "a refusal must not repeat a huge value"


@pytest.mark.parametrize("kind", sorted(READERS))
# The bundled provincial bill is some 70 kB; Hypothesis notes that a value of that size is
# long to print, which says nothing about reading it.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_mutated_bundled_files_are_read_or_refused_with_a_line(kind: str, tmp_path: Path) -> None:
    original, reader = READERS[kind]

    @FUZZ
    @given(data=mutated(original.read_bytes()))
    def read(data: bytes) -> None:
        path = tmp_path / f"{kind}.yaml"
        path.write_bytes(data)
        _read(reader, path)

    read()


@pytest.mark.parametrize("kind", sorted(READERS))
def test_made_up_text_is_read_or_refused_with_a_line(kind: str, tmp_path: Path) -> None:
    _, reader = READERS[kind]
    alphabet = st.characters(codec="utf-8")
    lines = st.lists(st.text(alphabet, max_size=30), max_size=8).map("\n".join)
    keyed = st.lists(
        st.tuples(st.sampled_from(["key", "title", "meeting", "people", "- ", "  "]), lines),
        max_size=6,
    ).map(lambda pairs: "\n".join(f"{key}: {value}" for key, value in pairs))

    @FUZZ
    @given(text=st.one_of(lines, keyed))
    def read(text: str) -> None:
        path = tmp_path / f"{kind}.yaml"
        path.write_text(text, encoding="utf-8")
        _read(reader, path)

    read()


@pytest.mark.parametrize(
    "content, said",
    [
        (b"key: a\x01b\n", ":1: contains the control character U+0001"),
        (b"version: 1\nkey: a\x00b\n", ":2: contains the control character U+0000"),
        (b"[" * 20_000 + b"]" * 20_000, ":1: values are nested more than 50 levels deep"),
        (b"version: " + b"9" * 5_000, ":1: the number '99999999999999999999'... (5000"),
        (b"title: caf\xe9\n", ":1: not UTF-8 text (byte 10)"),
        (b"", ":1: the file is empty"),
        (b"- a\n- b\n", ":1: the file holds a list"),
        (b"x" * 1_000_001, ":1: is larger than 1,000,000 bytes"),
    ],
    ids=["control", "nul", "deep", "long-number", "latin-1", "empty", "list", "huge"],
)
def test_each_kind_of_unreadable_file_is_refused_with_its_line(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_bytes(content)
    for reader in (load_pipeline_file, load_meeting_file):
        with pytest.raises(DefinitionError) as caught:
            reader(path)
        assert f"{path}{said}" in caught.value.message


@pytest.mark.slow
def test_the_command_line_exits_65_not_70_on_unreadable_files(tmp_path: Path) -> None:
    """`taskforce check` and `taskforce load`, as a user runs them."""
    files = {
        "control.yaml": b"key: a\x01b\n",
        "nul.yaml": b"key: a\x00b\n",
        "deep.yaml": b"[" * 20_000 + b"]" * 20_000,
        "number.yaml": b"version: " + b"9" * 5_000,
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    paths = [str(tmp_path / name) for name in files]
    environment = {
        "PATH": "/usr/bin:/bin",
        "TASKFORCE_DATABASE_URL": f"sqlite:///{tmp_path}/taskforce.sqlite3",
    }
    runs = [[str(TASKFORCE), "check", *paths]]
    runs += [[str(TASKFORCE), "load", path] for path in paths[:2]]
    for command in runs:
        done = subprocess.run(
            command, capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120
        )
        assert done.returncode == 65, done.stderr
        assert "internal error" not in done.stderr
        for path in command[2:]:
            assert f"{path}:1: " in done.stderr
