"""Requests taken a few at a time, and the time each waited and took in `Server-Timing`.

Pages are mostly Python work, which one process does on one core: twenty requests
worked on at once each take twenty times as long, and all finish late. Taken a
few at a time (`web_requests_at_once`), each is answered in its own time and the
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
    """Lets at most `at_once` HTTP requests into the application at a time; times them."""

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
        arrived = perf_counter()
        async with self._turns:
            started = perf_counter()

            async def send_timed(message: Message) -> None:
                if message["type"] == "http.response.start":
                    metrics = (
                        f"queue;dur={(started - arrived) * 1000:.1f}, "
                        f"app;dur={(perf_counter() - started) * 1000:.1f}"
                    )
                    headers = [*message.get("headers", []), (HEADER, metrics.encode("ascii"))]
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_timed)


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
