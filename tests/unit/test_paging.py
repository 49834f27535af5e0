"""The page cursor: every position it writes reads back the same, and anything else is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.paging import (
    DUE,
    REST,
    CursorError,
    Order,
    Position,
    needs_position,
    page_size,
    position_after,
    read_cursor,
    urgency_band,
)

KEYS = st.from_regex(r"[A-Z][A-Z0-9]{0,8}(-[A-Z0-9]{1,6}){0,3}", fullmatch=True)
MOMENTS = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(key=KEYS, due_at=st.none() | MOMENTS, status=st.sampled_from(["open", "completed"]))
def test_a_position_reads_back_as_itself(key: str, due_at: datetime | None, status: str) -> None:
    for order in Order:
        position = position_after(order, key=key, status=status, due_at=due_at)
        assert read_cursor(position.cursor(), order) == position


def test_only_open_items_with_a_due_time_come_first() -> None:
    now = datetime(2026, 7, 27, tzinfo=UTC)
    assert urgency_band("open", now) == DUE
    assert urgency_band("open", None) == REST
    assert urgency_band("completed", now) == REST


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("", Order.KEY),
        ("k.cmb-punjab", Order.KEY),
        ("r.CMB-PUNJAB", Order.KEY),  # another list's cursor
        ("k.CMB-PUNJAB", Order.URGENCY),
        ("d.12x.CMB-PUNJAB", Order.URGENCY),
        ("d.12345678901234567.CMB", Order.URGENCY),  # past the year 2286
        ("d.1.CMB\x00", Order.URGENCY),
        ("r." + "A" * 100, Order.URGENCY),
        ("r.CMB-PUNJAB", Order.NEEDS),
        ("n.2.0.r.CMB-PUNJAB", Order.NEEDS),
        ("n.0.100.r.CMB-PUNJAB", Order.NEEDS),
    ],
)
def test_a_damaged_cursor_is_refused_naming_the_parameter(text: str, order: Order) -> None:
    with pytest.raises(CursorError, match=r"^after: this page link is damaged"):
        read_cursor(text, order)


def test_a_due_cursor_keeps_the_microsecond() -> None:
    due_at = datetime(2026, 7, 1, 18, 59, 59, 999_999, tzinfo=UTC)
    position = Position(Order.URGENCY, "CMB-PUNJAB", DUE, due_at)
    assert read_cursor(position.cursor(), Order.URGENCY).due_at == due_at


def test_the_page_size_is_bounded() -> None:
    assert page_size(None) == 50
    assert page_size(0) == 1
    assert page_size(10_000) == 500


@given(
    key=KEYS,
    due_at=st.none() | MOMENTS,
    handled=st.booleans(),
    level=st.none() | st.integers(min_value=0, max_value=99),
)
def test_a_needs_you_position_reads_back_as_itself(
    key: str, due_at: datetime | None, handled: bool, level: int | None
) -> None:
    position = needs_position(key=key, handled=handled, level=level, due_at=due_at)
    assert read_cursor(position.cursor(), Order.NEEDS) == position
    with pytest.raises(CursorError):
        read_cursor(position.cursor(), Order.URGENCY)
