"""Reading the server-rendered pages in tests as a browser would: forms, their inputs, the text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from db.engine import transaction
from db.models import Commitment
from tests.web.conftest import Site


@dataclass
class Form:
    action: str
    inputs: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = Form(action=found.get("action", ""))
            self.forms.append(self._open)
        elif tag in ("input", "textarea") and self._open is not None and "name" in found:
            self._open.inputs[found["name"]] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_for(html: str, path: str, action: str | None = None) -> Form:
    """The form posting to `path` (for the advance form, the one for `action`)."""
    for found in forms(html):
        if found.action == path and (action is None or found.inputs.get("action") == action):
            return found
    raise AssertionError(f"no form for {path} {action or ''} on the page")


def post_form(
    client: TestClient, page_path: str, path: str, values: dict[str, str], action: str | None = None
) -> tuple[str, Response]:
    """Open `page_path`, fill the form posting to `path` with `values` and send it."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:500]
    sent = {**form_for(page.text, path, action).inputs, **values}
    return page.text, client.post(path, data=sent)


def text_of(html: str) -> str:
    """The page's text with tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def stage_of(site: Site, key: str) -> tuple[str, int]:
    with transaction(site.installation.sessions) as session:
        row = session.execute(
            select(Commitment.stage, Commitment.version).where(Commitment.key == key)
        ).one()
    return row[0], row[1]
