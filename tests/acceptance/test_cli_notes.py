"""`taskforce note`: a remark with a file from the command line, read back by `show --json`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

OFFICER = "law.officer.punjab@example.org"
PDF = b"%PDF-1.4\n% Summary No. SO(LAW)/2026-41\n%%EOF\n"


def test_a_remark_with_a_file_is_in_show_json_and_moves_nothing(
    taskforce: Callable[..., Any], tmp_path: Path
) -> None:
    assert taskforce("load").code == 0
    scan = tmp_path / "summary scan.pdf"
    scan.write_bytes(PDF)

    done = taskforce(
        "note", "CMB-PUNJAB", "--as", OFFICER, "--text", "Summary sent", "--attach", str(scan)
    )

    assert (done.code, done.stderr) == (0, "")
    assert done.stdout.startswith("CMB-PUNJAB: remark 2 added by " + OFFICER)
    record = json.loads(taskforce("show", "CMB-PUNJAB", "--json").stdout)
    assert (record["stage"], record["version"]) == ("drafting", 1)
    remark = record["history"][-1]
    assert (remark["kind"], remark["comment"]) == ("note", "Summary sent")
    assert remark["attachments"] == [
        {
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "name": "summary scan.pdf",
            "size": len(PDF),
            "media_type": "application/pdf",
        }
    ]

    too_big = taskforce(
        "note",
        "CMB-PUNJAB",
        "--as",
        OFFICER,
        "--attach",
        str(scan),
        TASKFORCE_EVIDENCE_MAX_BYTES="20",
    )
    assert too_big.code == 2
    assert too_big.stderr.strip() == (
        f"error: Can't attach to CMB-PUNJAB: the file summary scan.pdf is {len(PDF)} bytes;"
        " the limit is 20 bytes"
    )
    missing = taskforce("note", "CMB-PUNJAB", "--as", OFFICER, "--attach", "nowhere.pdf")
    assert missing.code == 1
    assert missing.stderr.strip() == "error: --attach nowhere.pdf: No such file or directory"
    assert len(json.loads(taskforce("history", "CMB-PUNJAB", "--json").stdout)) == 2
