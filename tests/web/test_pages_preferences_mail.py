"""The pages' language and the mail's are two choices: one may read Urdu pages and English mail."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import transaction
from db.models import Person
from tests.web.conftest import PASSWORD, Site, csrf_of

SECRETARY = "law.secretary.punjab@example.org"


def languages_of(site: Site, email: str) -> tuple[str | None, str]:
    with transaction(site.installation.sessions) as session:
        person = session.scalars(select(Person).where(Person.email == email)).one()
        return person.page_language, person.language


def test_the_header_switch_changes_the_pages_and_leaves_the_mail_alone(site: Site) -> None:
    browser = site.browser(SECRETARY)
    before_mail = languages_of(site, SECRETARY)[1]

    browser.post(
        "/preferences/language",
        data={"language": "ur", "next": "/items", "csrf_token": csrf_of(browser, "/items")},
    )

    assert languages_of(site, SECRETARY) == ("ur", before_mail)
    assert '<html lang="ur" dir="rtl">' in browser.get("/items").text


def test_the_preferences_page_sets_each_language_apart(site: Site) -> None:
    browser = site.browser(SECRETARY)
    form = browser.get("/preferences")
    assert form.status_code == 200
    assert "Language of your mail" in form.text

    saved = browser.post(
        "/preferences",
        data={
            "page_language": "en",
            "mail_language": "ur",
            "csrf_token": csrf_of(browser, "/preferences"),
        },
    )

    assert saved.status_code == 303 and saved.headers["location"] == "/preferences"
    assert languages_of(site, SECRETARY) == ("en", "ur")
    again = browser.get("/preferences").text
    assert "Saved." in again and '<html lang="en"' in again
    assert 'id="mail-ur" name="mail_language" value="ur" checked' in again
    assert "Saved." not in browser.get("/preferences").text  # said once
    refused = browser.post(
        "/preferences",
        data={
            "page_language": "fr",
            "mail_language": "en",
            "csrf_token": csrf_of(browser, "/preferences"),
        },
    )
    assert refused.status_code == 400
    assert languages_of(site, SECRETARY) == ("en", "ur")


def test_a_visitor_chooses_urdu_on_the_sign_in_page_and_keeps_it_once_signed_in(
    site: Site,
) -> None:
    visitor = site.anonymous()
    sign_in = visitor.get("/sign-in")
    assert 'action="/sign-in/language"' in sign_in.text

    chosen = visitor.post(
        "/sign-in/language",
        data={"language": "ur", "next": "/sign-in", "csrf_token": csrf_of(visitor, "/sign-in")},
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/sign-in"
    urdu = visitor.get("/sign-in").text
    assert '<html lang="ur" dir="rtl">' in urdu and "سائن ان" in urdu

    signed_in = visitor.post(
        "/sign-in",
        data={
            "email": SECRETARY,
            "password": PASSWORD,
            "next": "/items",
            "csrf_token": csrf_of(visitor, "/sign-in"),
        },
    )
    assert signed_in.status_code == 303
    assert languages_of(site, SECRETARY)[0] == "ur"
    assert '<html lang="ur" dir="rtl">' in visitor.get("/items").text
