"""Requests taken a few at a time, and the time each waited and took in `Server-Timing`.

Pages are mostly Python work, which one process does on one core: twenty pages
built at once each take twenty times as long, and all finish late. Taken a few
at a time (`web_requests_at_once`), each is answered in its own time and the
rest wait their turn in order. The header tells the two apart, `queue` (waiting
for a turn) and `app` (from the turn to the response's start), so a browser's
developer tools and the benchmarks can see whether a slow answer was slow work
or a busy server.
"""

from __future__ import annotations

import asyncio
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"server-timing"


class TakenInTurn:
    """Lets at most `at_once` reads (GET, HEAD) be worked on at a time; times every request.

    A turn lasts from the read's arrival in the application to its response's start:
    the page is built by then, and a slow reader of the body, or a file streamed
    after the headers, does not hold it. Posts are not made to wait: their bodies
    arrive at the sender's pace (a sheet or a scan from a slow district line), and
    a turn held while reading one would stop the pages of everyone else.
    """

    def __init__(self, app: ASGIApp, *, at_once: int) -> None:
        self.app = app
        self.at_once = at_once
        self._turns: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._turns is None:  # made on the server's event loop, at its first request
            self._turns = asyncio.Semaphore(self.at_once)
        turns = self._turns
        arrived = perf_counter()
        waits = scope["method"] in ("GET", "HEAD")
        if waits:
            await turns.acquire()
        started = perf_counter()
        holding = waits

        def release() -> None:
            nonlocal holding
            if holding:
                holding = False
                turns.release()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                metrics = (
                    f"queue;dur={(started - arrived) * 1000:.1f}, "
                    f"app;dur={(perf_counter() - started) * 1000:.1f}"
                )
                headers = [*message.get("headers", []), (HEADER, metrics.encode("ascii"))]
                message = {**message, "headers": headers}
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            release()


def server_milliseconds(header: str | None, metric: str = "app") -> float | None:
    """The duration of `metric` in a `Server-Timing` header's value, or None if it has none."""
    for entry in (header or "").split(","):
        name, _, parameters = entry.strip().partition(";")
        if name.strip() != metric:
            continue
        for parameter in parameters.split(";"):
            key, _, value = parameter.strip().partition("=")
            if key == "dur":
                try:
                    return float(value)
                except ValueError:
                    return None
    return None
