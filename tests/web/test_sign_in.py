"""Signing in: argon2 passwords, lock-out after repeated failures, sessions that end."""

from __future__ import annotations

from sqlalchemy import select

from db import accounts, people
from db.engine import transaction
from db.models import Person
from tests.web.conftest import PASSWORD, WEB_NOW, Site, csrf_of

OFFICER = "law.officer.punjab@example.org"


def _try(site: Site, email: str, password: str) -> int:
    client = site.anonymous()
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_of(client, "/sign-in"),
            "next": "/",
        },
    )
    return response.status_code


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(site: Site) -> None:
    client = site.anonymous()
    response = client.post(
        "/sign-in",
        data={
            "email": OFFICER,
            "password": "not the password at all",
            "csrf_token": csrf_of(client, "/sign-in"),
        },
    )
    unknown = site.anonymous()
    other = unknown.post(
        "/sign-in",
        data={
            "email": "nobody@example.org",
            "password": "not the password at all",
            "csrf_token": csrf_of(unknown, "/sign-in"),
        },
    )
    assert response.status_code == other.status_code == 400
    assert "do not match" in response.text and "do not match" in other.text


def test_five_failures_lock_the_account_even_for_the_right_password(site: Site) -> None:
    for _ in range(accounts.FREE_ATTEMPTS):
        assert _try(site, OFFICER, "wrong password, again") == 400
    client = site.anonymous()
    response = client.post(
        "/sign-in",
        data={"email": OFFICER, "password": PASSWORD, "csrf_token": csrf_of(client, "/sign-in")},
    )
    assert response.status_code == 400
    assert "do not match" in response.text  # the one answer for every failure: no "locked"
    with transaction(site.installation.sessions) as session:
        person = people.by_email(session, OFFICER)
        assert person.locked_until is not None and person.locked_until > WEB_NOW


def test_the_lock_doubles_with_each_further_failure_up_to_a_day() -> None:
    assert accounts.lock_for(accounts.FREE_ATTEMPTS - 1) is None
    first = accounts.lock_for(accounts.FREE_ATTEMPTS)
    second = accounts.lock_for(accounts.FREE_ATTEMPTS + 1)
    assert first is not None and second == first * 2
    assert accounts.lock_for(100) == accounts.LONGEST_LOCK


def test_passwords_are_stored_as_argon2_hashes(site: Site) -> None:
    with transaction(site.installation.sessions) as session:
        person = people.by_email(session, OFFICER)
        accounts.set_password(session, person, "another long passphrase", now=WEB_NOW)
        stored = session.scalar(select(Person.password_hash).where(Person.email == OFFICER))
    assert stored is not None and stored.startswith("$argon2id$")
    assert "another long passphrase" not in stored


def test_a_short_password_is_refused_with_the_rule(site: Site) -> None:
    with transaction(site.installation.sessions) as session:
        person = people.by_email(session, OFFICER)
        try:
            accounts.set_password(session, person, "short", now=WEB_NOW)
        except accounts.PasswordRejectedError as error:
            assert f"at least {accounts.MIN_PASSWORD_LENGTH} characters" in error.message
        else:
            raise AssertionError("a five-character password was accepted")


def test_changing_the_password_ends_the_other_sessions(site: Site) -> None:
    browser = site.browser(OFFICER)
    assert browser.get("/api/v1/me").status_code == 401  # pages' cookies never open the API
    assert browser.get("/sign-in").status_code == 303  # signed in: sent on
    with transaction(site.installation.sessions) as session:
        person = people.by_email(session, OFFICER)
        accounts.set_password(session, person, "a brand new passphrase", now=WEB_NOW)
    assert browser.get("/sign-in").status_code == 200  # signed out: the form again


def test_sign_in_sends_you_back_where_you_were_going_but_never_off_site(site: Site) -> None:
    client = site.anonymous()
    token = csrf_of(client, "/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": OFFICER,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example.com/x",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_the_sign_in_form_needs_its_csrf_token(site: Site) -> None:
    client = site.anonymous()
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": OFFICER, "password": PASSWORD})
    assert response.status_code == 403


def test_a_form_posted_from_another_site_is_refused(site: Site) -> None:
    client = site.anonymous()
    token = csrf_of(client, "/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": OFFICER, "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "https://evil.example.com"},
    )
    assert response.status_code == 403


def test_the_session_cookie_is_http_only_and_same_site(site: Site) -> None:
    client = site.anonymous()
    response = client.get("/sign-in")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_every_answer_carries_the_security_headers(site: Site) -> None:
    for path in ("/sign-in", "/api/v1/me", "/no-such-page"):
        headers = site.anonymous().get(path).headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_an_unknown_page_is_a_page_and_an_unknown_api_path_is_json(site: Site) -> None:
    page = site.anonymous().get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api = site.anonymous().get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
