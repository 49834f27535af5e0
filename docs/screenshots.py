"""Make the README's pictures of the pages and the mail from a fresh demo database.

    .venv/bin/python docs/screenshots.py [--out docs/images]

It runs `taskforce demo`, gives the chair and Punjab's chief secretary a
password, serves the pages with `taskforce web` and photographs them in
Debian's Chromium (through Playwright): the chair's "Needs you", the board in
Urdu, a commitment on a 375 px phone, and the last Urdu digest the demo mailed.
Nothing here is imported by the engine or the tests.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from db import accounts, people
from db.engine import transaction
from taskforce.app import open_app
from taskforce.settings import Settings

PASSWORD = "a long enough screenshot passphrase"
CHAIR = "chair@example.org"
URDU_READER = "cs.sindh@example.org"  # reads Urdu in the bundled meeting
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def taskforce(*arguments: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    command = [str(Path(sys.executable).with_name("taskforce")), *arguments]
    return subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def last_urdu_digest(mail: Path) -> str:
    """The HTML of the last digest the demo mailed to the Urdu reader."""
    for path in sorted(mail.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if URDU_READER in str(message["To"]) and message["Content-Language"] == "ur":
            part = message.get_body(("html",))
            html = str(part.get_content()) if part is not None else ""
            if "رکے ہوئے معاملات کا خلاصہ" in html:  # the digest's banner
                return html
    raise SystemExit(f"no Urdu digest to {URDU_READER} in {mail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        database, mail = work / "demo.sqlite3", work / "mail"
        taskforce("demo", "--database", str(database), "--mail-folder", str(mail))
        url = f"sqlite:///{database}"
        installation = open_app(Settings(database_url=url))
        try:
            with transaction(installation.sessions) as session:
                for who in (CHAIR, URDU_READER):
                    person = people.by_email(session, who)
                    accounts.set_password(session, person, PASSWORD, now=datetime.now(UTC))
        finally:
            installation.close()

        port = free_port()
        site = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("taskforce")), "web", "--port", str(port)],
            env={**os.environ, "TASKFORCE_DATABASE_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(150):
                try:
                    with urllib.request.urlopen(f"{site}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.2)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )

                def signed_in(who: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
                    page = browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
                    page.goto(f"{site}/sign-in")
                    page.fill("input[name=email]", who)
                    page.fill("input[name=password]", PASSWORD)
                    page.locator("form:has(input[name=password]) button[type=submit]").click()
                    page.wait_for_load_state()
                    return page

                chair = signed_in(CHAIR, DESKTOP)
                chair.goto(f"{site}/needs-you")
                chair.screenshot(path=str(out / "needs-you.png"))
                phone = signed_in(CHAIR, PHONE)
                phone.goto(f"{site}/commitments/CSW-SINDH")
                phone.screenshot(path=str(out / "commitment-phone.png"))
                urdu = signed_in(URDU_READER, DESKTOP)
                urdu.goto(f"{site}/board")
                urdu.screenshot(path=str(out / "board-ur.png"))
                digest = browser.new_context(viewport={"width": 640, "height": 1100}).new_page()
                digest.set_content(last_urdu_digest(mail))
                digest.screenshot(path=str(out / "digest-ur.png"))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    for name in ("needs-you", "commitment-phone", "board-ur", "digest-ur"):
        print(out / f"{name}.png")


if __name__ == "__main__":
    main()
