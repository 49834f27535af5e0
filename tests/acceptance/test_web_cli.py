"""The commands for web access, in a subprocess: passwords, API tokens, the sample set-up."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.slow

Taskforce = Callable[..., Any]
OFFICER = "law.officer.punjab@example.org"


def ok(done: Any) -> Any:
    assert (done.code, done.stderr) == (0, ""), f"taskforce {' '.join(done.args)}: {done.stderr}"
    return done


def test_a_password_is_read_from_standard_input(taskforce: Taskforce) -> None:
    ok(taskforce("load"))
    done = ok(taskforce("users", "set-password", OFFICER, stdin="a long enough passphrase\n"))
    assert f"Password set for {OFFICER}" in done.stdout


def test_a_short_password_is_refused_in_one_line(taskforce: Taskforce) -> None:
    ok(taskforce("load"))
    done = taskforce("users", "set-password", OFFICER, stdin="short\n")
    assert done.code == 2
    assert "at least 12 characters" in done.stderr and "Traceback" not in done.stderr


def test_a_password_for_someone_unknown_names_them(taskforce: Taskforce) -> None:
    ok(taskforce("load"))
    done = taskforce("users", "set-password", "nobody@example.org", stdin="whatever it is\n")
    assert done.code == 4 and "nobody@example.org" in done.stderr


def test_no_password_on_standard_input_says_how_to_give_one(taskforce: Taskforce) -> None:
    ok(taskforce("load"))
    done = taskforce("users", "set-password", OFFICER, stdin="")
    assert done.code != 0 and "standard input" in done.stderr


def test_tokens_are_created_listed_and_revoked(taskforce: Taskforce) -> None:
    ok(taskforce("load"))
    token = ok(taskforce("tokens", "create", OFFICER, "--name", "reporting")).stdout.strip()
    assert re.fullmatch(r"tf_[A-Za-z0-9_-]{40,}", token)
    listed = ok(taskforce("tokens", "list", OFFICER, "--json")).stdout
    assert '"name": "reporting"' in listed and token not in listed
    assert '"revoked_at": null' in listed
    revoked = ok(taskforce("tokens", "revoke", "1"))
    assert "revoked" in revoked.stdout
    assert '"revoked_at": null' not in ok(taskforce("tokens", "list", OFFICER, "--json")).stdout


def test_revoking_an_unknown_token_says_how_to_find_them(taskforce: Taskforce) -> None:
    ok(taskforce("load"))
    done = taskforce("tokens", "revoke", "99")
    assert done.code == 4 and "taskforce tokens list" in done.stderr
