"""The access rule behind every route: role and jurisdiction decide, nothing else."""

from __future__ import annotations

import pytest

from states.access import Access, allows
from states.actors import Actor, Role


def person(role: Role, jurisdiction: str) -> Actor:
    return Actor(email=f"{role}@{jurisdiction}", role=role, jurisdiction=jurisdiction)


def test_public_routes_need_no_one() -> None:
    assert allows(Access.PUBLIC, None)


@pytest.mark.parametrize("access", [a for a in Access if a is not Access.PUBLIC])
def test_everything_else_needs_someone_signed_in(access: Access) -> None:
    assert not allows(access, None, jurisdiction="punjab")


def test_the_system_actor_never_signs_in() -> None:
    assert not allows(Access.SIGNED_IN, person(Role.SYSTEM, "federal"))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.OFFICER, False),
        (Role.SECRETARY, True),
        (Role.CHIEF_SECRETARY, True),
        (Role.FEDERAL_SECRETARY, True),
        (Role.CHAIR, True),
        (Role.ADMINISTRATOR, True),
    ],
)
def test_the_board_is_for_overseers(role: Role, expected: bool) -> None:
    assert allows(Access.BOARD, person(role, "punjab")) is expected


@pytest.mark.parametrize(
    ("jurisdiction", "item", "expected"),
    [
        ("punjab", "punjab", True),
        ("punjab", "punjab/lahore", True),
        ("punjab", "sindh", False),
        ("punjab/lahore", "punjab", False),
        ("punjab/lahore", "punjab/multan", False),
        ("federal", "sindh", True),
    ],
)
def test_an_item_is_seen_from_its_own_jurisdiction_or_above(
    jurisdiction: str, item: str, expected: bool
) -> None:
    assert allows(Access.ITEM, person(Role.OFFICER, jurisdiction), jurisdiction=item) is expected


def test_answering_escalations_needs_rank_above_officer() -> None:
    assert not allows(Access.ANSWER, person(Role.OFFICER, "punjab"), jurisdiction="punjab")
    assert allows(Access.ANSWER, person(Role.SECRETARY, "punjab"), jurisdiction="punjab")
    assert not allows(Access.ANSWER, person(Role.SECRETARY, "sindh"), jurisdiction="punjab")
    assert not allows(Access.ANSWER, person(Role.ADMINISTRATOR, "federal"), jurisdiction="punjab")


def test_a_provinces_digest_is_for_its_overseers_and_federal_ones() -> None:
    assert allows(Access.DIGEST, person(Role.CHIEF_SECRETARY, "punjab"), jurisdiction="punjab")
    assert allows(Access.DIGEST, person(Role.CHAIR, "federal"), jurisdiction="punjab")
    assert not allows(Access.DIGEST, person(Role.CHIEF_SECRETARY, "sindh"), jurisdiction="punjab")
    assert not allows(Access.DIGEST, person(Role.OFFICER, "punjab"), jurisdiction="punjab")
    assert not allows(Access.DIGEST, person(Role.CHIEF_SECRETARY, "punjab"), jurisdiction="federal")


def test_an_item_scoped_access_without_a_jurisdiction_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="jurisdiction"):
        allows(Access.ITEM, person(Role.CHAIR, "federal"))
