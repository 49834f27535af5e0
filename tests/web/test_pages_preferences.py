"""Choosing the language of the pages: Urdu pages read right to left."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import transaction
from db.models import Person
from tests.web.conftest import Site, csrf_of

OFFICER = "law.officer.punjab@example.org"


def language_of(site: Site, email: str) -> str:
    with transaction(site.installation.sessions) as session:
        person = session.scalars(select(Person).where(Person.email == email)).one()
        found = person.page_language or person.language
    assert found is not None
    return found


def test_switching_to_urdu_gives_right_to_left_pages_in_urdu_and_back(site: Site) -> None:
    browser = site.browser(OFFICER)
    english = browser.get("/commitments/CMB-PUNJAB")
    assert '<html lang="en" dir="ltr">' in english.text
    response = browser.post(
        "/preferences/language",
        data={
            "language": "ur",
            "next": "/commitments/CMB-PUNJAB",
            "csrf_token": csrf_of(browser, "/items"),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/commitments/CMB-PUNJAB"
    assert language_of(site, OFFICER) == "ur"

    urdu = browser.get("/commitments/CMB-PUNJAB")
    assert '<html lang="ur" dir="rtl">' in urdu.text
    assert "تاریخچہ" in urdu.text  # History
    assert "میرے امور" in urdu.text  # My items
    assert ">English</button>" in urdu.text  # the switch back, in its own language

    browser.post(
        "/preferences/language",
        data={"language": "en", "next": "/items", "csrf_token": csrf_of(browser, "/items")},
    )
    assert language_of(site, OFFICER) == "en"
    assert '<html lang="en" dir="ltr">' in browser.get("/items").text


def test_the_switch_goes_back_only_to_a_page_of_this_site(site: Site) -> None:
    browser = site.browser(OFFICER)
    response = browser.post(
        "/preferences/language",
        data={
            "language": "ur",
            "next": "//elsewhere.example.com/phish",
            "csrf_token": csrf_of(browser, "/items"),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_an_unknown_language_or_a_missing_csrf_token_changes_nothing(site: Site) -> None:
    browser = site.browser(OFFICER)
    token = csrf_of(browser, "/items")
    unknown = browser.post("/preferences/language", data={"language": "fr", "csrf_token": token})
    assert unknown.status_code == 400
    forged = browser.post("/preferences/language", data={"language": "ur"})
    assert forged.status_code == 403
    assert language_of(site, OFFICER) == "en"


def test_every_page_of_mine_has_a_skip_link_labels_and_no_inline_styles_or_scripts(
    site: Site,
) -> None:
    browser = site.browser("cs.punjab@example.org")
    for path in ("/items", "/commitments/CMB-PUNJAB", "/commitments/DHRC-PUNJAB"):
        html = browser.get(path).text
        assert 'class="skip" href="#main"' in html
        assert " style=" not in html and "<style" not in html
        assert "<script>" not in html and "<script " not in html.replace(
            '<script src="/static/app.js" defer></script>', ""
        )
    sign_in = site.anonymous().get("/sign-in").text
    assert '<label for="email">' in sign_in and '<label for="password">' in sign_in
