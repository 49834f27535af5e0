"""Searching finds the same commitments whether the words are found in few or in many, and on
PostgreSQL words found in few are looked up by trigram index, not in every commitment."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from db import listing
from db.engine import transaction
from db.models import Commitment
from states.catalogue import Catalogue

SEARCHES = ("sindh", "csw-", "commission", "law.officer", "treaty:cedaw", "no such words")


def found(session: Session, words: str) -> set[str]:
    query = select(Commitment.key).where(listing.matching(session, words))
    return set(session.scalars(query))


def test_words_found_in_many_find_what_words_found_in_few_find(
    loaded: Catalogue, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(sessions) as session:
        by_id = {words: found(session, words) for words in SEARCHES}
        monkeypatch.setattr(listing, "FEW_FOUND", 1)
        row_by_row = {words: found(session, words) for words in SEARCHES}
    assert by_id == row_by_row
    assert by_id["sindh"] and by_id["csw-"] and by_id["law.officer"] and by_id["treaty:cedaw"]
    assert by_id["no such words"] == set()


def test_postgresql_looks_up_words_found_in_few_by_trigram_index(
    loaded: Catalogue, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("the trigram indexes are PostgreSQL's (SQLite reads its few rows)")
        indexes = text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%trigram'")
        names = set(session.scalars(indexes))
        assert names == {
            "ix_commitments_key_trigram",
            "ix_commitments_title_trigram",
            "ix_commitment_refs_trigram",
        }
        # A table this small is read whole; forbid that to see which index is chosen.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        for column in ("key", "title"):
            plan = "\n".join(
                session.scalars(
                    text(f"EXPLAIN SELECT id FROM commitments WHERE lower({column}) LIKE :words"),
                    {"words": "%sindh%"},
                )
            )
            assert f"ix_commitments_{column}_trigram" in plan
