"""Retry decisions: which failures are worth another try, when, and when to stop.

The transport classifies an error (notifications.failures); the pure rule in
states.retry decides.
"""

from __future__ import annotations

import smtplib
import socket
from datetime import UTC, datetime, timedelta
from email.errors import HeaderParseError
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.failures import classify
from notifications.message import AddressError, HeaderInjectionError
from states.retry import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    BACKOFF_FLOOR,
    DeadLetter,
    Retry,
    Severity,
    backoff,
    decide,
)

NOW = datetime(2026, 7, 27, 5, tzinfo=UTC)
MAX = 8


class Extreme(Random):
    """A random source that always picks the top (or the bottom) of the range."""

    def __init__(self, top: bool) -> None:
        super().__init__(0)
        self.top = top

    def uniform(self, a: float, b: float) -> float:
        return b if self.top else a


def retry_decision(
    error: BaseException, attempts: int, *, max_attempts: int = MAX
) -> Retry | DeadLetter:
    """The rule's decision on the transport's classification of `error`."""
    return decide(classify(error), attempts, max_attempts=max_attempts, now=NOW, rng=Random(7))


TEMPORARY = [
    pytest.param(ConnectionRefusedError(111, "Connection refused"), id="connection-refused"),
    pytest.param(TimeoutError("timed out"), id="timeout"),
    pytest.param(socket.gaierror(-2, "Name or service not known"), id="dns"),
    pytest.param(ConnectionResetError(104, "reset by peer"), id="reset"),
    pytest.param(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), id="gone"),
    pytest.param(smtplib.SMTPResponseException(421, b"4.3.2 shutting down"), id="421"),
    pytest.param(smtplib.SMTPDataError(451, b"4.3.0 local error"), id="451-data"),
    pytest.param(
        smtplib.SMTPSenderRefused(452, b"4.3.1 insufficient storage", "t@example.org"),
        id="452-sender",
    ),
    pytest.param(
        smtplib.SMTPRecipientsRefused(
            {"a@example.org": (450, b"4.2.1 mailbox busy"), "b@example.org": (451, b"later")}
        ),
        id="recipients-4xx",
    ),
    # Our own login or greeting failing says nothing about the message: wait for the operator.
    pytest.param(smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), id="login"),
    pytest.param(RuntimeError("a template is missing"), id="unexpected"),
]

REFUSED = [
    pytest.param(smtplib.SMTPDataError(550, b"5.7.1 message rejected"), id="550-data"),
    pytest.param(smtplib.SMTPResponseException(554, b"5.0.0 no"), id="554"),
    pytest.param(
        smtplib.SMTPSenderRefused(553, b"5.7.1 not allowed", "t@example.org"), id="553-sender"
    ),
    pytest.param(
        smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 no such user")}),
        id="recipient-550",
    ),
    pytest.param(
        smtplib.SMTPRecipientsRefused(
            {"a@example.org": (450, b"busy"), "b@example.org": (550, b"5.1.1 unknown")}
        ),
        id="recipients-mixed",
    ),
]

MALFORMED = [
    pytest.param(HeaderInjectionError("Subject", "Hi\nBcc: x@evil.example"), id="injection"),
    pytest.param(AddressError("To", "not-an-address", "no domain"), id="address"),
    pytest.param(HeaderParseError("expected atom"), id="header-parse"),
]


@pytest.mark.parametrize("error", TEMPORARY)
def test_temporary_failures_are_retried_until_the_last_try(error: BaseException) -> None:
    assert classify(error).severity is Severity.TEMPORARY
    for attempts in range(1, MAX):
        decision = retry_decision(error, attempts)
        assert isinstance(decision, Retry), attempts
        assert NOW < decision.at <= NOW + BACKOFF_CAP
    last = retry_decision(error, MAX)
    assert isinstance(last, DeadLetter)
    assert f"try {MAX}" in last.reason


@pytest.mark.parametrize("error", REFUSED)
def test_a_5xx_gets_one_more_try_then_is_dead_lettered(error: BaseException) -> None:
    failure = classify(error)
    assert failure.severity is Severity.REFUSED
    assert failure.code is not None and 500 <= failure.code < 600
    assert isinstance(retry_decision(error, 1), Retry)
    dead = retry_decision(error, 2)
    assert isinstance(dead, DeadLetter)
    assert str(failure.code) in dead.reason
    # Never more tries than the installation allows at all.
    assert isinstance(retry_decision(error, 1, max_attempts=1), DeadLetter)


@pytest.mark.parametrize("error", MALFORMED)
def test_a_malformed_message_is_dead_lettered_at_once(error: BaseException) -> None:
    assert classify(error).severity is Severity.MALFORMED
    decision = retry_decision(error, 1)
    assert isinstance(decision, DeadLetter)
    assert "malformed" in decision.reason


def test_the_last_error_is_described_in_one_line_with_the_server_reply() -> None:
    error = smtplib.SMTPRecipientsRefused(
        {"ali@example.org": (550, b"5.1.1 <ali@example.org>:\r\n user unknown")}
    )
    failure = classify(error)
    assert failure.description == (
        "recipient refused: ali@example.org: 550 5.1.1 <ali@example.org>: user unknown"
    )
    assert classify(smtplib.SMTPDataError(421, b"4.3.2 busy")).description == (
        "the server answered 421 4.3.2 busy"
    )
    assert classify(ConnectionRefusedError(111, "x")).description == (
        "the server refused the connection"
    )


def test_connection_failures_are_marked_as_such_and_replies_are_not() -> None:
    assert classify(ConnectionRefusedError(111, "refused")).connection
    assert classify(smtplib.SMTPServerDisconnected("gone")).connection
    assert classify(TimeoutError()).connection
    # A 421 ends the connection, but the transport opens a new one for the next message.
    assert not classify(smtplib.SMTPDataError(421, b"busy")).connection
    assert not classify(smtplib.SMTPDataError(550, b"no")).connection


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour() -> None:
    top = [backoff(n, rng=Extreme(top=True)) for n in range(1, 10)]
    assert [t.total_seconds() for t in top] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff(100, rng=Extreme(top=True)) == BACKOFF_CAP


def test_full_jitter_can_pick_any_wait_but_never_zero() -> None:
    assert backoff(5, rng=Extreme(top=False)) == BACKOFF_FLOOR
    waits = {backoff(3, rng=Random(seed)) for seed in range(50)}
    assert len(waits) == 50  # spread out, so workers that failed together do not retry together


@given(attempts=st.integers(min_value=1, max_value=200), seed=st.integers(0, 2**32))
def test_backoff_stays_within_its_bounds(attempts: int, seed: int) -> None:
    wait = backoff(attempts, rng=Random(seed))
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(attempts - 1, 20))
    assert BACKOFF_FLOOR <= wait <= max(ceiling, BACKOFF_FLOOR)


def test_the_same_seed_gives_the_same_decision() -> None:
    error = smtplib.SMTPDataError(451, b"later")
    first = decide(classify(error), 3, max_attempts=MAX, now=NOW, rng=Random(42))
    again = decide(classify(error), 3, max_attempts=MAX, now=NOW, rng=Random(42))
    assert first == again
    assert isinstance(first, Retry)
    assert first.at - NOW <= timedelta(seconds=120)


def test_a_reply_that_never_came_is_called_a_timeout_not_a_disconnect() -> None:
    # smtplib turns a timeout while waiting for a reply into SMTPServerDisconnected.
    try:
        try:
            raise TimeoutError("timed out")
        except OSError as error:
            # As smtplib does it: no `from`, so the timeout is only the context.
            raise smtplib.SMTPServerDisconnected(  # noqa: B904
                f"Connection unexpectedly closed: {error}"
            )
    except smtplib.SMTPServerDisconnected as disconnected:
        failure = classify(disconnected)
    assert failure.description == "the server did not answer in time"
    assert failure.connection and failure.severity is Severity.TEMPORARY
