"""Sheets uploaded for a preview, kept on the server until they are applied.

Between the preview and the apply the browser holds only the SHA-256 of what was
previewed. The bytes stay here, under the data folder, in the uploader's own
folder: `sheet-uploads/PERSON_ID/SHA256/NAME`. Applying reads them back from the
viewer's folder, checks that they still hash to the SHA-256 the form carries and
applies exactly those bytes, so a browser cannot send back a different file than
the one it saw previewed, nor apply someone else's upload. Keeping the bytes rather
than the preview's outcome means the rows are checked again when they are applied,
against the database as it is then.

A preview is taken once: `claim` moves the folder aside with one rename before
reading it, so a second apply of the same preview (a double click, the back
button, two tabs) finds nothing. Each person keeps one preview at a time (a new
upload replaces the earlier one), and what is left behind (a preview never
applied, a result page) is removed after KEEP_FOR by `sweep`, which every upload
runs. The database is not used: a pending upload is not part of the record, and
a half-finished preview must never reach an export.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

FOLDER = "sheet-uploads"
KEEP_FOR = timedelta(hours=24)
RESULT = "result.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CLAIMED = ".claimed-"


@dataclass(frozen=True)
class Pending:
    """An uploaded sheet waiting to be applied: its clean name, bytes and SHA-256."""

    name: str
    content: bytes
    sha256: str


class PendingSheets:
    """The sheets waiting under `root` (DATA_DIR/sheet-uploads), one folder per person."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def under(cls, data_dir: Path) -> PendingSheets:
        return cls(data_dir / FOLDER)

    def _person(self, person_id: int) -> Path:
        return self.root / str(person_id)

    def keep(self, person_id: int, *, name: str, content: bytes) -> str:
        """Keep `content` (a clean file name) as the person's one pending sheet; its SHA-256."""
        self.sweep()
        sha256 = hashlib.sha256(content).hexdigest()
        folder = self._person(person_id)
        if folder.exists():
            for earlier in folder.iterdir():
                if earlier.is_dir():
                    shutil.rmtree(earlier, ignore_errors=True)
        target = folder / sha256
        target.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(content)
        return sha256

    def claim(self, person_id: int, sha256: str) -> Pending | None:
        """Take the person's pending sheet `sha256` away to apply it, or None if it is gone
        (applied already, replaced by a newer upload, expired) or its bytes changed."""
        if not _SHA256.match(sha256):
            return None
        folder = self._person(person_id) / sha256
        taken = folder.with_name(f"{sha256}{_CLAIMED}{secrets.token_hex(8)}")
        try:
            folder.rename(taken)  # atomic: of two applies, only one gets the folder
        except OSError:
            return None
        try:
            files = [path for path in taken.iterdir() if path.is_file()]
            if len(files) != 1:
                return None
            content = files[0].read_bytes()
        finally:
            shutil.rmtree(taken, ignore_errors=True)
        if not secrets.compare_digest(hashlib.sha256(content).hexdigest(), sha256):
            return None
        return Pending(name=files[0].name, content=content, sha256=sha256)

    def record_result(self, person_id: int, result: dict[str, Any]) -> None:
        """Keep what the person's last apply did, for the result page after the redirect."""
        folder = self._person(person_id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / RESULT).write_text(json.dumps(result), encoding="utf-8")

    def last_result(self, person_id: int) -> dict[str, Any] | None:
        """What the person's last apply did, if it is still kept."""
        try:
            found = json.loads((self._person(person_id) / RESULT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def sweep(self) -> None:
        """Remove what was kept longer than KEEP_FOR (by the files' own times)."""
        if not self.root.is_dir():
            return
        oldest = time.time() - KEEP_FOR.total_seconds()
        for person in self.root.iterdir():
            for kept in person.iterdir() if person.is_dir() else ():
                try:
                    stale = kept.stat().st_mtime < oldest
                except OSError:
                    continue  # removed meanwhile by another request
                if stale and kept.is_dir():
                    shutil.rmtree(kept, ignore_errors=True)
                elif stale:
                    kept.unlink(missing_ok=True)
