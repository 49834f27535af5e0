"""Requests are taken a few at a time, and every answer says how long it waited for
its turn and how long the application then took (`Server-Timing`), so an operator's
browser and the benchmarks can tell slow work from a busy server."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from taskforce.web.timing import TakenInTurn, server_milliseconds
from tests.web.conftest import Site


def test_pages_api_errors_and_files_say_how_long_they_waited_and_took(site: Site) -> None:
    chair = site.browser("chair@example.org")
    answers = [
        chair.get("/board"),
        chair.get("/api/v1/me"),
        site.anonymous().get("/no-such-page"),
        site.anonymous().get("/static/app.css"),
    ]
    for answer in answers:
        header = answer.headers.get("server-timing")
        took = server_milliseconds(header)
        waited = server_milliseconds(header, "queue")
        assert took is not None and waited is not None, (answer.url, header)
        assert 0 < took < 60_000 and 0 <= waited < 60_000, (answer.url, header)


def test_no_more_requests_than_allowed_are_worked_on_at_once() -> None:
    inside = 0
    most = 0

    async def slow_page(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = TakenInTurn(slow_page, at_once=2)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    async def twenty_at_once() -> None:
        scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
        await asyncio.gather(*(app(scope, receive, send) for _ in range(20)))

    asyncio.run(twenty_at_once())

    assert most == 2
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 20
    assert all(name == b"server-timing" for m in starts for name, _ in m["headers"])


def _scope(method: str) -> Scope:
    return {"type": "http", "method": method, "path": "/", "headers": []}


async def _nothing() -> Message:
    return {"type": "http.request", "body": b""}


def test_a_turn_ends_when_the_page_is_built_and_posts_never_wait() -> None:
    """With one turn: a page whose body is still being sent, and a post still being
    read, do not keep the next page waiting."""
    body_sent = asyncio.Event()
    post_read = asyncio.Event()
    answered: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            await post_read.wait()  # a slow upload
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if scope["path"] == "/slow-reader":
            await body_sent.wait()
        await send({"type": "http.response.body", "body": b"ok"})
        answered.append(f"{scope['method']} {scope['path']}")

    taken = TakenInTurn(app, at_once=1)

    async def send(message: Message) -> None:
        return None

    async def scenario() -> None:
        slow_reader = asyncio.create_task(
            taken({**_scope("GET"), "path": "/slow-reader"}, _nothing, send)
        )
        upload = asyncio.create_task(taken(_scope("POST"), _nothing, send))
        await asyncio.wait_for(taken(_scope("GET"), _nothing, send), timeout=30)
        assert answered == ["GET /"]
        body_sent.set()
        post_read.set()
        await asyncio.wait_for(asyncio.gather(slow_reader, upload), timeout=30)

    asyncio.run(scenario())

    assert sorted(answered) == ["GET /", "GET /slow-reader", "POST /"]


@pytest.mark.parametrize(
    ("header", "metric", "expected"),
    [
        ("queue;dur=3.5, app;dur=12.5", "app", 12.5),
        ("queue;dur=3.5, app;dur=12.5", "queue", 3.5),
        ('db;dur=3, app;desc="whole";dur=40', "app", 40.0),
        ("cache;desc=hit", "app", None),
        ("app;dur=soon", "app", None),
        (None, "app", None),
    ],
)
def test_a_duration_is_read_among_other_metrics(
    header: str | None, metric: str, expected: float | None
) -> None:
    assert server_milliseconds(header, metric) == expected
