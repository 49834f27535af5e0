"""`taskforce export` and `taskforce restore` as a user runs them.

The table-by-table comparison of a restored database is in tests/integration/test_export.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from db.migrate import head_revision
from tests.acceptance.conftest import Run


def test_export_then_restore_lists_the_same_items_and_refuses_a_second_restore(
    taskforce: Callable[..., Run],
    taskforce_on: Callable[[str], Callable[..., Run]],
    tmp_path: Path,
) -> None:
    assert taskforce("load").code == 0
    backup = tmp_path / "backup.jsonl"
    done = taskforce("export", "--out", str(backup))
    assert done.code == 0, done.stderr
    assert f"to {backup}" in done.stdout and backup.is_file()

    restored = taskforce_on(f"sqlite:///{tmp_path}/restored.sqlite3")
    done = restored("restore", str(backup))
    assert done.code == 0, done.stderr
    assert "166 commitments" in " ".join(done.stdout.split())
    assert restored("list", "--json").stdout == taskforce("list", "--json").stdout

    again = restored("restore", str(backup))
    assert again.code == 1
    assert again.said.startswith("error: the database is not empty (166 commitments")


def test_a_corrupt_file_is_refused_naming_the_line(
    taskforce: Callable[..., Run], tmp_path: Path
) -> None:
    header = {"type": "header", "format": 1, "migration": head_revision()}
    backup = tmp_path / "backup.jsonl"
    backup.write_text(f'{json.dumps(header)}\n{{"type": "people", \n', encoding="utf-8")
    done = taskforce("restore", str(backup))
    assert done.code == 1
    assert done.said.startswith(f"error: {backup} line 2: not JSON")
