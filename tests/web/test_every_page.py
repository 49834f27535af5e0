"""Every page on a 375 px phone, in English and Urdu as the chair, and in Urdu as an officer.

The demo's database (a simulated month after the bundled meeting: moves, sweeps,
escalations, digests) is served by `taskforce web`; Chromium follows the links
from the start page and visits one page of each kind. On each it checks that
nothing scrolls sideways at 375 px and runs axe-core (the copy that
axe-playwright-python ships), which must find no violation.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from db import accounts, pausing, people
from db.engine import transaction
from db.models import Commitment
from taskforce.app import open_app
from taskforce.settings import Settings
from tests.latin_words import english_words, latin_data
from tests.web.test_browser import CHROMIUM_ARGS, chromium, web_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHAIR = "chair@example.org"
OFFICER = "law.officer.punjab@example.org"
PASSWORD = "a long enough browser passphrase"
PHONE = {"width": 375, "height": 812}
# Files and actions, not pages.
NOT_PAGES = (".xlsx", ".docx", ".csv", ".pdf", ".jsonl", "/evidence/", "/api/", "/sign-out")
MOST_PAGES = 40
# The outermost elements past the screen's edges that no scrolling box of their own holds.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const held = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className.trim()
       ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if ((box.right > width + 1 || box.left < -1) && !held(el)
        && !(el.parentElement && out.includes(name(el.parentElement)))) out.push(name(el));
  }
  return out.slice(0, 4);
}"""


# Latin words that are data, not interface (tests/latin_words.py), found in the demo's database.
LATIN_DATA: set[str] = set()
# A paused item's page, visited first of its kind.
PAUSED_PAGES: list[str] = []


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`taskforce web` on the demo's database, with passwords for the chair and an officer."""
    folder = tmp_path_factory.mktemp("every-page")
    database = folder / "demo.sqlite3"
    taskforce = str(Path(sys.executable).with_name("taskforce"))
    subprocess.run(
        [taskforce, "demo", "--database", str(database), "--mail-folder", str(folder / "mail")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    url = f"sqlite:///{database}"
    installation = open_app(Settings(database_url=url), migrate_schema=True)
    try:
        with transaction(installation.sessions) as session:
            for email in (CHAIR, OFFICER):
                person = people.by_email(session, email)
                accounts.set_password(session, person, PASSWORD, now=datetime.now(UTC))
            LATIN_DATA.update(latin_data(session, installation.catalogue))
            # One item the officer can see stands paused, so its page is the one visited.
            key = session.scalars(
                select(Commitment.key)
                .where(
                    Commitment.status == "open",
                    Commitment.jurisdiction == "punjab",
                    Commitment.department == people.by_email(session, OFFICER).department,
                )
                .order_by(Commitment.key)
            ).first()
            assert key is not None
            pausing.pause(
                session,
                key=key,
                actor_email=CHAIR,
                reason="عدالت عالیہ کا حکم امتناع",
                until=None,
                now=datetime.now(UTC),
            )
            PAUSED_PAGES.append(f"/commitments/{key}")
    finally:
        installation.close()

    with web_server(url, folder) as server:
        yield server.url


def kind_of(path: str) -> str:
    """Pages of one kind share a template: /commitments/A and /commitments/B are one kind."""
    parts = [part for part in path.split("/") if part]
    return "/" + "/".join(parts[:1] + ["*"] * len(parts[1:]))


# The chair reaches every kind of page; an officer's own (My items, forms) are checked in
# Urdu, where more can go wrong.
@pytest.mark.parametrize(("email", "language"), [(CHAIR, "en"), (CHAIR, "ur"), (OFFICER, "ur")])
def test_no_page_scrolls_sideways_on_a_phone_or_breaks_an_accessibility_rule(
    demo_site: str, email: str, language: str, tmp_path: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    axe = Axe()
    problems: list[str] = []
    seen_kinds: set[str] = set()
    visited: list[str] = []
    start = ""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        try:
            page.goto(f"{demo_site}/sign-in")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", PASSWORD)
            page.locator("form:has(input[name=password]) button[type=submit]").click()
            page.wait_for_load_state()
            if page.locator("html").get_attribute("lang") != language:
                # The person's own choice, as the language button on every page records it.
                page.locator("form[action$='/preferences/language'] button").first.click()
                page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == language

            start = page.url
            queue = [urlsplit(page.url).path, *PAUSED_PAGES, "/sign-in"]
            while queue and len(visited) < MOST_PAGES:
                path = queue.pop(0)
                kind = kind_of(path)
                if kind in seen_kinds:
                    continue
                seen_kinds.add(kind)
                answer = page.goto(urljoin(demo_site, path))
                assert answer is not None
                if answer.status >= 400 or urlsplit(page.url).path != path:
                    continue  # not this person's page, or it sent them elsewhere
                visited.append(path)
                wide = page.evaluate(
                    "() => [document.documentElement.scrollWidth,"
                    " document.documentElement.clientWidth]"
                )
                if wide[0] > wide[1]:
                    culprits = page.evaluate(STICKING_OUT)
                    problems.append(
                        f"{path}: {wide[0]} px wide on a {wide[1]} px screen"
                        f" ({', '.join(culprits)})"
                    )
                if language == "ur":
                    english = english_words(
                        page.evaluate("() => document.body.innerText"), LATIN_DATA
                    )
                    if english:
                        problems.append(f"{path}: English on an Urdu page: {sorted(english)}")
                result = axe.run(page)
                for violation in result.response["violations"]:
                    targets = [", ".join(n["target"]) for n in violation["nodes"][:3]]
                    problems.append(f"{path}: {violation['id']} at {'; '.join(targets)}")
                for href in page.eval_on_selector_all(
                    "a[href]", "links => links.map(a => a.getAttribute('href'))"
                ):
                    target = urlsplit(urljoin(page.url, href))
                    if target.netloc != urlsplit(demo_site).netloc:
                        continue
                    if any(marker in target.path for marker in NOT_PAGES):
                        continue
                    queue.append(target.path)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    assert len(visited) >= 4, f"too few pages reached from {start}: {visited}"
    assert PAUSED_PAGES[0] in visited, "the paused item's page was not checked"
    assert not problems, "\n".join(problems)
