"""A real browser against the real server: an officer moves the Punjab child-marriage bill.

The server is started as a user would start it (`taskforce web --port N`) on a
prepared SQLite file; Debian's Chromium drives the pages through Playwright.
Outside `make test` the test is skipped when Chromium is missing; under
`make test` (TASKFORCE_TEST_REQUIRE_POSTGRES=1, as in CI) it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from db import accounts, people, workflow
from db.engine import transaction
from db.loading import load_meeting
from states.meeting import load_meeting_file
from taskforce.app import open_app
from taskforce.data import BUNDLED_MEETING
from taskforce.settings import Settings
from tests.conftest import REQUIRE_POSTGRES_VARIABLE

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ITEM = "CMB-PUNJAB"  # Enact a child marriage restraint law in Punjab
OFFICER = "law.officer.punjab@example.org"
SECRETARY = "law.secretary.punjab@example.org"
CHAIR = "chair@example.org"
PASSWORD = "a long enough browser passphrase"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
]
STARTUP_SECONDS = 30
WAIT_MS = 10_000


def chromium() -> str:
    """Debian's Chromium, or skip (fail under make test, where it must be installed)."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found:
        return found
    message = "Chromium is not installed (Debian: apt-get install chromium)"
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def prepare(database_url: str) -> None:
    """The bundled meeting, passwords for the people in the story, and the bill introduced."""
    installation = open_app(Settings(database_url=database_url), migrate_schema=True)
    now = datetime.now(UTC) - timedelta(days=2)
    try:
        with transaction(installation.sessions) as session:
            load_meeting(
                session, installation.catalogue, load_meeting_file(BUNDLED_MEETING), now=now
            )
        with transaction(installation.sessions) as session:
            for email in (OFFICER, SECRETARY, CHAIR):
                accounts.set_password(session, people.by_email(session, email), PASSWORD, now=now)
            moves = [
                ("send_for_vetting", OFFICER, {}),
                ("vet", OFFICER, {}),
                ("approve_in_cabinet", SECRETARY, {"cabinet_decision": "CD-44/2026"}),
                (
                    "introduce",
                    SECRETARY,
                    {
                        "bill_number": "Bill No. 12 of 2026",
                        # Not after the day it is recorded: a day already past.
                        "introduced_on": (now - timedelta(days=1)).date().isoformat(),
                    },
                ),
            ]
            for action, actor, fields in moves:
                workflow.advance(
                    session,
                    installation.catalogue,
                    key=ITEM,
                    action=action,
                    actor_email=actor,
                    fields=fields,
                    now=now,
                    calendar=installation.calendar,
                )
    finally:
        installation.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def web_server(database_url: str, folder: Path) -> Iterator[Server]:
    """`taskforce web` on `database_url`, as a user starts it, until the block ends."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("taskforce")), "web", "--port", str(port)]
    env = {**os.environ, "TASKFORCE_DATABASE_URL": database_url}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    f"the server did not answer /healthz:\n{(folder / 'server.log').read_text()}"
                )
            time.sleep(0.2)
        yield Server(url=url, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    database_url = f"sqlite:///{tmp_path}/browser.sqlite3"
    prepare(database_url)
    with web_server(database_url, tmp_path) as running:
        yield running


def test_an_officer_moves_the_bill_through_a_refusal_and_a_conflict_and_the_chair_sees_it(
    server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    executable = chromium()
    expect.set_options(timeout=WAIT_MS)
    today = date.today().isoformat()

    def sign_in(page: Page, email: str) -> None:
        page.goto(f"{server.url}/sign-in")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    def open_action(page: Page, action: str) -> None:
        details = page.locator(f"details#action-{action}")
        if details.get_attribute("open") is None:
            details.locator("summary").click()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        try:
            # The officer signs in and finds the bill among their items.
            sign_in(page, OFFICER)
            expect(page).to_have_url(f"{server.url}/items")
            page.get_by_role("link", name=ITEM).click()
            expect(page.locator('[aria-current="step"]')).to_contain_text(
                "Introduced in the assembly"
            )

            # Passage recorded without its date: refused, the message beside the field.
            open_action(page, "pass")
            page.locator("details#action-pass").get_by_role(
                "button", name="Record passage by the assembly"
            ).click()
            expect(page.locator("#pass-passed_on-error")).to_contain_text(
                "Date passed by the assembly is needed for this action"
            )
            expect(page.locator("#pass-passed_on")).to_have_attribute("aria-invalid", "true")
            expect(page.locator('[aria-current="step"]')).to_contain_text(
                "Introduced in the assembly"
            )

            # Meanwhile the same officer, in another browser, refers the bill to committee.
            other = browser.new_context()
            elsewhere = other.new_page()
            sign_in(elsewhere, OFFICER)
            elsewhere.goto(f"{server.url}/commitments/{ITEM}")
            open_action(elsewhere, "refer_to_committee")
            elsewhere.locator("details#action-refer_to_committee").get_by_role(
                "button", name="Refer to the standing committee"
            ).click()
            expect(elsewhere.locator(".notice.success")).to_contain_text("Done:")
            other.close()

            # The first page's form is now stale: nothing applied, what changed is shown.
            page.locator("#pass-passed_on").fill(today)
            page.locator("details#action-pass").get_by_role(
                "button", name="Record passage by the assembly"
            ).click()
            conflict = page.locator(".notice.conflict")
            expect(conflict).to_contain_text("Someone else changed this item")
            expect(conflict).to_contain_text("Refer to the standing committee")
            expect(page.locator('[aria-current="step"]')).to_contain_text("Standing committee")

            # What was typed is kept in the form; from it, passage is checked, then recorded.
            expect(page.locator("#pass-passed_on")).to_have_value(today)
            open_action(page, "pass")
            page.locator("#pass-passed_on").fill(today)
            page.locator("details#action-pass").get_by_role(
                "button", name="Record passage by the assembly"
            ).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
            expect(page.locator('[aria-current="step"]')).to_have_count(0)
            page.get_by_role("button", name="Confirm: Record passage by the assembly").click()
            expect(page.locator(".notice.success")).to_contain_text("Passed by the assembly")
            expect(page.locator('[aria-current="step"]')).to_contain_text("Passed by the assembly")
            page.get_by_role("button", name="Sign out").click()
            expect(page).to_have_url(f"{server.url}/sign-in")

            # The chair starts on "Needs you", then finds the bill on the board in its new stage,
            # the board narrowed to the bills (all 166 commitments are more than a page).
            sign_in(page, CHAIR)
            expect(page).to_have_url(f"{server.url}/needs-you")
            page.get_by_role("link", name="Board").click()
            expect(page).to_have_url(f"{server.url}/board")
            page.get_by_label("Pipeline").select_option("provincial_bill")
            page.get_by_role("button", name="Show").click()
            expect(page).to_have_url(re.compile(r"/board\?.*pipeline=provincial_bill"))
            card = page.locator(f'table a[href="/commitments/{ITEM}"]').first
            expect(card).to_be_visible()
            column = card.evaluate(
                """link => {
                    const cell = link.closest("td");
                    const head = cell.closest("table").tHead.rows[0].cells[cell.cellIndex];
                    return head.textContent;
                }"""
            )
            assert "Passed by the assembly" in column
            card.click()
            expect(page.locator('[aria-current="step"]')).to_contain_text("Passed by the assembly")
            page.get_by_role("button", name="Sign out").click()
            expect(page).to_have_url(f"{server.url}/sign-in")
        except Exception:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
            raise
        finally:
            browser.close()
