"""A write the database refuses is a conflict only when someone else moved the item first.

After a crash and a careless restore, a duplicate event id was once reported as
"changed by someone else" (exit 5): the officer retried, forever. Only the version
check and the event numbering mean a concurrent move; any other broken constraint
is a StorageError that names it, and nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from db import workflow
from states.catalogue import Catalogue
from states.errors import ConflictError, StorageError

Advance = Callable[..., workflow.Advanced]
Stored = Callable[..., dict[str, Any]]

LAW_OFFICER = "law.officer.punjab@example.org"
# A constraint the schema does not have, as a damaged or hand-altered database might:
# one event of each kind per commitment, so the second move breaks it.
DAMAGE = "CREATE UNIQUE INDEX ix_damage_one_kind_each ON events (commitment_id, kind)"


def test_a_broken_constraint_other_than_the_version_is_a_storage_error_naming_it(
    engine: Engine, loaded: Catalogue, advance: Advance, stored: Stored
) -> None:
    advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER)
    with engine.begin() as connection:
        connection.execute(text(DAMAGE))
    before = stored("CMB-PUNJAB")

    with pytest.raises(StorageError) as refused:
        advance("CMB-PUNJAB", "return_to_drafting", LAW_OFFICER, comment="needs redrafting")

    assert not isinstance(refused.value, ConflictError)
    assert refused.value.exit_code != ConflictError.exit_code
    message = refused.value.message
    assert "CMB-PUNJAB" in message
    assert "ix_damage_one_kind_each" in message or "events.commitment_id, events.kind" in message
    assert "INSERT" not in message and "\n" not in message
    assert stored("CMB-PUNJAB") == before


def test_the_version_check_is_still_a_conflict(
    loaded: Catalogue, advance: Advance, stored: Stored
) -> None:
    seen = stored("CMB-PUNJAB")["version"]
    advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER, expected_version=seen)

    with pytest.raises(ConflictError) as conflict:
        advance("CMB-PUNJAB", "vet", LAW_OFFICER, expected_version=seen)

    assert conflict.value.exit_code == 5


def test_a_duplicate_event_id_after_a_restore_is_a_storage_error(
    database_url: str,
    engine: Engine,
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    advance: Advance,
    stored: Stored,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite takes a new row id past the largest: its ids cannot collide")
    # A restore that left the events id sequence behind the table.
    with engine.begin() as connection:
        connection.execute(text("SELECT setval(pg_get_serial_sequence('events', 'id'), 1)"))
    before = stored("CMB-PUNJAB")

    with pytest.raises(StorageError) as refused:
        advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER)

    assert "pk_events" in refused.value.message
    assert "CMB-PUNJAB" in refused.value.message
    assert stored("CMB-PUNJAB") == before
