"""Officers racing to move the same commitment through the command line and the API at once.

Each round, every contender saw the same version and asks to move the item on
from it: two `taskforce advance --expect-version` processes and two API clients.
Exactly one wins each round; the others are told it changed (exit 5, HTTP 409);
the history is gapless and walks a legal path.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from db import queries, tokens
from db.engine import transaction
from db.loading import load_meeting
from states.meeting import load_meeting_file
from taskforce.app import App, open_app
from taskforce.data import BUNDLED_MEETING
from taskforce.settings import Settings
from taskforce.web.app import create_app

pytestmark = pytest.mark.slow

TASKFORCE = Path(sys.executable).parent / "taskforce"
COMMAND_SECONDS = 120
LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
KEY = "CMB-PUNJAB"
OFFICER = "law.officer.punjab@example.org"
SECRETARY = "law.secretary.punjab@example.org"
ROUNDS = 3
# From each stage, the moves the contenders ask for (any of them is legal there).
# Both the officer and the secretary may take each of them.
MOVES = {
    "drafting": [("send_for_vetting", None)],
    "law_vetting": [("return_to_drafting", "another draft, please")],
}
LEGAL = {
    "send_for_vetting": ("drafting", "law_vetting"),
    "return_to_drafting": ("law_vetting", "drafting"),
}


Move = tuple[str, str | None]


@dataclass(frozen=True)
class Outcome:
    """One contender's answer: who, through what, and whether it won."""

    via: str
    won: bool
    refused_as_conflict: bool
    said: str


@pytest.fixture
def installation(database_url: str) -> Iterator[App]:
    installation = open_app(Settings(database_url=database_url), migrate_schema=True)
    try:
        with transaction(installation.sessions) as session:
            meeting = load_meeting_file(BUNDLED_MEETING)
            load_meeting(session, installation.catalogue, meeting, now=LOADED_AT)
        yield installation
    finally:
        installation.close()


def _cli(url: str, cwd: Path, version: int, move: Move, actor: str) -> Outcome:
    action, comment = move
    args = [str(TASKFORCE), "advance", KEY, action, "--as", actor]
    args += ["--expect-version", str(version)]
    if comment:
        args += ["--comment", comment]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORCE_")}
    env["TASKFORCE_DATABASE_URL"] = url
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )
    return Outcome("cli", done.returncode == 0, done.returncode == 5, done.stderr.strip())


def _api(client: TestClient, version: int, move: Move, delay: float) -> Outcome:
    # A random moment into the commands' start-up, so either side can win.
    threading.Event().wait(delay)
    action, comment = move
    answer = client.post(
        f"/api/v1/commitments/{KEY}/advance",
        json={"action": action, "comment": comment, "expected_version": version},
    )
    return Outcome("api", answer.status_code == 200, answer.status_code == 409, answer.text)


def _collect(attempt: Callable[[], Outcome], outcomes: list[Outcome]) -> None:
    outcomes.append(attempt())


def test_exactly_one_officer_wins_each_round_through_the_cli_and_the_api(
    database_url: str, installation: App, tmp_path: Path
) -> None:
    clients = []
    for actor in (OFFICER, SECRETARY):
        with transaction(installation.sessions) as session:
            token = tokens.create_token(session, email=actor, name="race", now=LOADED_AT)
        client = TestClient(create_app(installation.settings, installation=installation))
        client.headers["Authorization"] = f"Bearer {token}"
        # FastAPI resolves an app's routes on its first request; two first requests at once
        # race there (not in the engine), so each app answers one before the rounds begin.
        assert client.get(f"/api/v1/commitments/{KEY}").status_code == 200
        clients.append(client)
    chance = random.Random(10)
    winners: Counter[str] = Counter()

    for _ in range(ROUNDS):
        with installation.sessions() as session:
            item = queries.get_commitment(session, KEY)
            stage, version = item.stage, item.version
        moves = MOVES[stage]
        outcomes: list[Outcome] = []
        attempts: list[Callable[[], Outcome]] = [
            partial(_cli, database_url, tmp_path, version, chance.choice(moves), actor)
            for actor in (OFFICER, SECRETARY)
        ] + [
            partial(_api, client, version, chance.choice(moves), chance.uniform(0.5, 2.5))
            for client in clients
        ]
        threads = [
            threading.Thread(target=partial(_collect, attempt, outcomes)) for attempt in attempts
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=COMMAND_SECONDS)

        assert len(outcomes) == 4
        won = [o for o in outcomes if o.won]
        assert len(won) == 1, outcomes
        losers = [o for o in outcomes if not o.won]
        assert all(o.refused_as_conflict for o in losers), losers
        assert all("changed" in o.said for o in losers), losers
        winners[won[0].via] += 1

    with installation.sessions() as session:
        item = queries.get_commitment(session, KEY)
        history = queries.history(session, item)
        assert queries.inconsistent_keys(session) == []
    moves_made = [e for e in history if e.action is not None]
    assert len(moves_made) == ROUNDS
    assert [e.seq for e in history] == list(range(1, ROUNDS + 2))
    assert item.version == ROUNDS + 1
    for event in moves_made:
        assert (event.from_stage, event.to_stage) == LEGAL[event.action]
    for before, after in pairwise(history):
        assert after.from_stage == before.to_stage
    print(f"\nrace on {database_url.split(':')[0]}: {ROUNDS} rounds, winners {dict(winners)}")
