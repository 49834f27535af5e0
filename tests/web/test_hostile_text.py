"""Every page, with markup in every field a person or a file can fill: none of it is served raw.

Issue 10, defect 1. Each user-controlled field gets its own hostile value,

    <script>alert(1)</script><a href=x data-pwned=1>MARKER" data-pwned=2 data-pwned-too='&

which carries a marker naming the field. A meeting file and a pipeline file full of
such values are loaded, commented, acknowledged, snoozed, escalated, completed and
digested, and then every page is opened by the people who may see it, on SQLite
and on PostgreSQL. A page fails when any element it serves is a script of its own,
a link to `x` or carries a `data-pwned` attribute (an unescaped tag, or a value
that broke out of its attribute), or when the raw markup appears at all. Each page
must also show the escaped values of the fields it is expected to show, so the
test cannot pass by showing nothing. The mail made on the way is checked too:
HTML escaped, text and subjects as written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from db import escalations, workflow
from db import sheets as sheet_store
from db.digest import record_digests
from db.engine import transaction
from db.loading import load_meeting
from db.models import OutboxMessage, Person
from db.sweep import run_sweep
from notifications.delivery import composer
from states import sheets
from states.meeting import load_meeting_file
from taskforce.app import App, open_app
from taskforce.settings import Settings
from taskforce.sheets import workbook
from taskforce.web.app import create_app
from tests.web.conftest import LOADED_AT, PASSWORD_HASH, WEB_NOW, Site, csrf_of

PIPELINE = "hostile_flow"
OFFICER = "hostile.officer@example.org"
SECRETARY = "hostile.secretary@example.org"  # reads the pages in Urdu
CHIEF = "cs.punjab@example.org"
CHAIR = "chair@example.org"
ITEM = "HOSTILE-ONE"
PART = "HOSTILE-ONE-PART"
DONE = "HOSTILE-DONE"
EXEMPT = "HOSTILE-EXEMPT"


def hostile(marker: str) -> str:
    """Markup a browser would run or render, naming the field it was put in."""
    return (
        f"<script>alert(1)</script><a href=x data-pwned=1>{marker}\" data-pwned=2 data-pwned-too='&"
    )


def short_hostile(marker: str) -> str:
    """The same for a field of at most 50 characters, or a path segment (no slash)."""
    return f"<a href=x data-pwned=1>{marker}\"'&"


# Every user-controlled field, by marker. Markers are lower-case words: a department is
# shown with each word capitalised, and the marker follows '>' inside one word.
FIELDS = {
    "meetingtitle": "meeting title (meeting file)",
    "meetingchair": "meeting chair (meeting file)",
    "agendaitem": "agenda item (meeting file)",
    "itemtitle": "commitment title (meeting file)",
    "parttitle": "child commitment title (meeting file)",
    "donetitle": "completed commitment title (meeting file)",
    "exempttitle": "exempted commitment title (meeting file)",
    "department": "department of people and commitments (meeting file)",
    "officername": "officer's name (meeting file)",
    "secretaryname": "secretary's name (meeting file)",
    "pipelinetitle": "pipeline title (pipeline file)",
    "pipelinedescription": "pipeline description (pipeline file)",
    "stagedrafting": "stage title (pipeline file)",
    "stagereview": "stage title (pipeline file)",
    "stagedone": "terminal stage title (pipeline file)",
    "stagedropped": "terminal stage title (pipeline file)",
    "actionsubmit": "action title (pipeline file)",
    "actionapprove": "action title (pipeline file)",
    "actionback": "action title (pipeline file)",
    "actiondrop": "action title (pipeline file)",
    "fieldtitle": "field title (pipeline file)",
    "fieldhelp": "field help (pipeline file)",
    "patterntitle": "field title with a pattern (pipeline file)",
    "fieldvalue": "field value (advance form)",
    "comment": "comment (advance form)",
    "approvecomment": "comment on the completing action (workflow)",
    "ackreason": "acknowledge reason (answer form)",
    "snoozereason": "snooze reason (answer form)",
    "exemptreason": "exemption reason (command line)",
    "typedcomment": "comment sent with a refused form (shown again)",
    "typedreason": "reason sent with a refused form (shown again)",
    "typedemail": "email typed into the sign-in form (shown again)",
    "nextpath": "sign-in ?next= target",
    "urlkey": "commitment key in the address (404 page)",
    "urlpath": "path of an unknown page (404 page)",
    "boardfilter": "board filter value (400 page)",
    "sheetremark": "remark in an uploaded sheet (preview and result)",
    "sheetconflict": "remark on a stale row of an uploaded sheet (conflict)",
    "sheetcell": "a cell that is not a date in an uploaded sheet (its problem)",
    "sheetname": "an uploaded sheet's file name",
}


NOT_SHOWN = {"meetingchair"}


def escaped_marker(marker: str) -> str:
    """How the marker's surroundings read once escaped (either escaper; lower-cased)."""
    return f"&lt;a href=x data-pwned=1&gt;{marker}".lower()


def pipeline_file() -> dict[str, object]:
    return {
        "key": PIPELINE,
        "version": 1,
        "title": hostile("pipelinetitle"),
        "description": hostile("pipelinedescription"),
        "initial": "drafting",
        "deadline": "P6M",
        "snooze_max_days": 10,
        "reminder_days_before": 2,
        # The item under test has a child still open: let it complete anyway, so every
        # answer form (with its hostile action title) is on the page.
        "completes_with_open_children": True,
        "fields": {
            "note": {"title": hostile("fieldtitle"), "help": hostile("fieldhelp")},
            "reference": {"title": hostile("patterntitle"), "pattern": "^[A-Z]+<b>'\"&$"},
        },
        "stages": [
            {"key": "drafting", "title": hostile("stagedrafting"), "owner": "officer",
             "time_limit": 5},
            {"key": "review", "title": hostile("stagereview"), "owner": "secretary",
             "time_limit": 5},
            {"key": "done", "title": hostile("stagedone"), "owner": "secretary",
             "terminal": True, "outcome": "completed"},
            {"key": "dropped", "title": hostile("stagedropped"), "owner": "secretary",
             "terminal": True, "outcome": "withdrawn"},
        ],
        "transitions": [
            {"action": "submit", "title": hostile("actionsubmit"), "from": "drafting",
             "to": "review", "roles": ["officer", "secretary"], "requires": ["note"]},
            {"action": "approve", "title": hostile("actionapprove"), "from": "review",
             "to": "done", "roles": ["secretary", "chief_secretary"]},
            {"action": "back", "title": hostile("actionback"), "from": "review",
             "to": "drafting", "roles": ["secretary"], "comment": "required"},
            {"action": "drop", "title": hostile("actiondrop"), "from": "*", "to": "dropped",
             "roles": ["chief_secretary", "chair"], "comment": "required"},
        ],
        "ladder": [
            {"level": 1, "after": 0, "notify": "officer"},
            {"level": 2, "after": 2, "notify": "secretary"},
            {"level": 3, "after": 4, "notify": "chief_secretary"},
            {"level": 4, "after": 6, "notify": "chair"},
        ],
    }  # fmt: skip


def meeting_file() -> dict[str, object]:
    department = hostile("department")

    def item(key: str, marker: str, **more: object) -> dict[str, object]:
        return {
            "key": key,
            "title": hostile(marker),
            "pipeline": PIPELINE,
            "jurisdiction": "punjab",
            "department": department,
            "officer": OFFICER,
            **more,
        }

    return {
        "meeting": {
            "key": "hostile_meeting",
            "title": hostile("meetingtitle"),
            "held_on": LOADED_AT.date().isoformat(),
            "chair": hostile("meetingchair"),
        },
        "people": [
            {"email": OFFICER, "name": hostile("officername"), "role": "officer",
             "jurisdiction": "punjab", "department": department},
            {"email": SECRETARY, "name": hostile("secretaryname"), "role": "secretary",
             "jurisdiction": "punjab", "department": department, "language": "ur"},
        ],
        "commitments": [
            item(ITEM, "itemtitle", agenda_item=short_hostile("agendaitem"),
                 children=[item(PART, "parttitle")]),
            item(DONE, "donetitle"),
            item(EXEMPT, "exempttitle"),
        ],
    }  # fmt: skip


@dataclass
class Hostile:
    """The site on a database full of hostile values, and what was made in it."""

    site: Site
    # Each digest made: (id, scope, reader), oldest first.
    digests: list[tuple[int, str, str]] = field(default_factory=list)

    def digests_of(self, reader: str) -> list[int]:
        return [id_ for id_, _, email in self.digests if email == reader]

    @property
    def app(self) -> App:
        return self.site.installation


def _write(path: Path, document: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


def _fill(hostile_site: Hostile, meeting: Path) -> None:
    """Load the hostile meeting and live through six weeks of it, up to WEB_NOW."""
    app = hostile_site.app
    catalogue, calendar = app.catalogue, app.calendar
    with transaction(app.sessions) as session:
        load_meeting(session, catalogue, load_meeting_file(meeting), now=LOADED_AT)
        session.execute(
            update(Person)
            .where(Person.email.in_([OFFICER, SECRETARY]))
            .values(password_hash=PASSWORD_HASH)
        )

    def advance(key: str, action: str, actor: str, at: timedelta, **more: object) -> None:
        with transaction(app.sessions) as session:
            workflow.advance(
                session, catalogue, key=key, action=action, actor_email=actor,
                now=LOADED_AT + at, calendar=calendar, **more,
            )  # fmt: skip

    note = {"note": hostile("fieldvalue")}
    advance(ITEM, "submit", OFFICER, timedelta(days=1), fields=note, comment=hostile("comment"))
    advance(DONE, "submit", OFFICER, timedelta(days=1), fields=note)
    with transaction(app.sessions) as session:
        escalations.exempt(
            session, key=EXEMPT, actor_email=CHAIR, reason=hostile("exemptreason"),
            now=LOADED_AT + timedelta(days=2),
        )  # fmt: skip
    # Reminders before the stages fall due (five working days after the meeting).
    run_sweep(app.sessions, catalogue, calendar, now=LOADED_AT + timedelta(days=5))
    # A first digest while DONE is stalled, so the second one counts it resolved.
    with transaction(app.sessions) as session:
        made = record_digests(session, catalogue, calendar, now=WEB_NOW - timedelta(days=8))
        hostile_site.digests += [(d.id, d.scope, d.recipient_email) for d in made]
    run_sweep(app.sessions, catalogue, calendar, now=WEB_NOW - timedelta(days=7))
    advance(
        DONE, "approve", SECRETARY, WEB_NOW - LOADED_AT - timedelta(days=1),
        comment=hostile("approvecomment"),
    )  # fmt: skip
    run_sweep(app.sessions, catalogue, calendar, now=WEB_NOW - timedelta(hours=2))


def _answer(hostile_site: Hostile) -> None:
    """Acknowledge and snooze through the pages, as the secretary would, and digest after."""
    secretary = hostile_site.site.browser(SECRETARY)
    page = f"/commitments/{ITEM}"
    sent = secretary.post(
        f"{page}/acknowledge",
        data={"csrf_token": csrf_of(secretary, page), "reason": hostile("ackreason")},
    )
    assert sent.status_code == 303, sent.text[:1000]
    part = f"/commitments/{PART}"
    until = (WEB_NOW + timedelta(days=3)).date().isoformat()
    sent = secretary.post(
        f"{part}/snooze",
        data={
            "csrf_token": csrf_of(secretary, part),
            "until": until,
            "reason": hostile("snoozereason"),
        },
    )
    assert sent.status_code == 303, sent.text[:1000]
    app = hostile_site.app
    with transaction(app.sessions) as session:
        made = record_digests(session, app.catalogue, app.calendar, now=WEB_NOW)
        hostile_site.digests += [(d.id, d.scope, d.recipient_email) for d in made]


def _sheet(hostile_site: Hostile, cells: dict[str, dict[str, Any]]) -> bytes:
    """Punjab's sheet, with each key's row filled as given (column name -> value)."""
    app = hostile_site.app
    with transaction(app.sessions) as session:
        found = sheet_store.lines(session, app.catalogue, "punjab")
    book = openpyxl.load_workbook(io.BytesIO(workbook(found, scope="punjab", made_at=WEB_NOW)))
    page = book.active
    assert page is not None
    column = {cell.value: n for n, cell in enumerate(page[1], start=1)}
    row_of = {str(page.cell(n, 1).value): n for n in range(2, page.max_row + 1)}
    for key, values in cells.items():
        for name, value in values.items():
            page.cell(row_of[key], column[name]).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _apply_sheet(hostile_site: Hostile) -> None:
    """Upload a sheet with a hostile remark and a stale row and apply it, as the secretary."""
    secretary = hostile_site.site.browser(SECRETARY)
    content = _sheet(
        hostile_site,
        {
            ITEM: {sheets.REMARK: hostile("sheetremark")},
            EXEMPT: {sheets.VERSION: 99, sheets.REMARK: hostile("sheetconflict")},
        },
    )
    preview = secretary.post(
        "/board/sheet",
        data={"csrf_token": csrf_of(secretary, "/board")},
        files={"sheet": (f"{short_hostile('sheetname')}.xlsx", content)},
    )
    assert preview.status_code == 200, preview.text[:1000]
    sha256 = re.search(r'name="sha256" value="([0-9a-f]{64})"', preview.text)
    assert sha256, preview.text[:2000]
    applied = secretary.post(
        "/board/sheet/apply",
        data={"csrf_token": csrf_of(secretary, "/board"), "sha256": sha256.group(1)},
    )
    assert applied.status_code == 303, applied.text[:1000]


@pytest.fixture
def hostile_site(site_url: str, tmp_path: Path) -> Iterator[Hostile]:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    _write(folder / f"{PIPELINE}.yaml", pipeline_file())
    meeting = _write(tmp_path / "hostile-meeting.yaml", meeting_file())
    installation = open_app(
        Settings(database_url=site_url, pipelines_dir=folder, data_dir=tmp_path / "data")
    )
    try:
        app = create_app(installation.settings, installation=installation, clock=lambda: WEB_NOW)
        made = Hostile(site=Site(app=app, installation=installation))
        _fill(made, meeting)
        _answer(made)
        _apply_sheet(made)
        yield made
    finally:
        installation.close()


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def injected(page: str) -> list[str]:
    """What in `page` came from the data as markup rather than as text."""
    found = []
    lowered = page.lower()
    for raw in ("<script>alert(1)", "<a href=x", "data-pwned=1>"):
        if raw in lowered:
            at = lowered.index(raw)
            found.append(f"raw {raw!r} at {at}: …{page[max(0, at - 80) : at + 80]}…")
    parser = _Elements()
    parser.feed(page)
    for tag, attrs in parser.tags:
        if tag == "script" and attrs.get("src") != "/static/app.js":
            found.append(f"a script element {attrs}")
        if any(name.startswith("data-pwned") for name in attrs):
            found.append(f"an attribute from the data on <{tag} {attrs}>")
        if tag == "a" and attrs.get("href") == "x":
            found.append(f"a link from the data: <a {attrs}>")
    return found


def shown(page: str) -> set[str]:
    """The markers whose escaped values `page` shows."""
    lowered = page.lower()
    return {marker for marker in FIELDS if escaped_marker(marker) in lowered}


@dataclass(frozen=True)
class Visit:
    """One page: who opens it, how, what answer it must give and which fields it must show."""

    name: str
    who: str | None
    path: str
    status: int = 200
    expect: frozenset[str] = frozenset()
    form: dict[str, str] | None = None  # sent as a POST from the page at `path`
    post_to: str | None = None
    files: dict[str, tuple[str, bytes]] | None = None  # sent with the form


def _visits(hostile_site: Hostile) -> list[Visit]:
    item, part, done = f"/commitments/{ITEM}", f"/commitments/{PART}", f"/commitments/{DONE}"
    not_a_key = quote(short_hostile("urlkey"), safe="")
    not_a_path = quote(short_hostile("urlpath"), safe="")
    item_facts = {"meetingtitle", "agendaitem", "itemtitle", "department", "officername"}
    stages = {"stagedrafting", "stagereview", "stagedone"}
    history = {"comment", "fieldvalue", "actionsubmit", "ackreason", "fieldtitle"}
    pipeline_page = (
        stages
        | {"stagedropped", "actionsubmit", "actionapprove", "actionback", "actiondrop"}
        | {"pipelinetitle", "pipelinedescription", "fieldtitle", "fieldhelp", "patterntitle"}
    )
    first, latest = hostile_site.digests_of(CHAIR)[0], hostile_site.digests_of(CHAIR)[-1]
    punjab = hostile_site.digests_of(CHIEF)[-1]
    return [
        Visit("sign-in form", None, f"/sign-in?next=/{quote(hostile('nextpath'))}",
              expect=frozenset({"nextpath"})),
        Visit("sign-in refused, email kept", None, "/sign-in", status=400,
              form={"email": hostile("typedemail"), "password": "wrong password here"},
              post_to="/sign-in", expect=frozenset({"typedemail"})),
        Visit("my items (officer holding them)", OFFICER, "/items",
              expect=frozenset({"itemtitle", "parttitle", "stagereview", "stagedrafting",
                                "actionsubmit", "officername"})),
        Visit("my items (secretary, in Urdu)", SECRETARY, "/items",
              expect=frozenset({"secretaryname"})),
        Visit("my items (chief secretary: the jurisdiction's items)", CHIEF, "/items",
              expect=frozenset({"itemtitle", "officername", "stagereview", "actionapprove"})),
        Visit("commitment (officer)", OFFICER, item,
              expect=frozenset(item_facts | stages | history | {"pipelinetitle", "parttitle"})),
        Visit("commitment with answer forms (secretary, Urdu)", SECRETARY, item,
              expect=frozenset(item_facts | history | {"actionapprove", "actionback"})),
        Visit("commitment with answer forms (chief secretary)", CHIEF, item,
              expect=frozenset(item_facts | history | {"actionapprove", "actiondrop"})),
        Visit("child commitment, snoozed", OFFICER, part,
              expect=frozenset({"parttitle", "snoozereason", "fieldtitle", "fieldhelp",
                                "actionsubmit", "department", "officername"})),
        Visit("completed commitment", CHIEF, done,
              expect=frozenset({"donetitle", "approvecomment", "stagedone", "actionapprove",
                                "fieldvalue"})),
        Visit("exempted commitment", CHAIR, f"/commitments/{EXEMPT}",
              expect=frozenset({"exempttitle", "exemptreason", "actiondrop"})),
        Visit("advance refused, values shown again", OFFICER, part, status=422,
              post_to=f"{part}/advance",
              form={"action": "submit", "comment": hostile("typedcomment")},
              expect=frozenset({"typedcomment", "parttitle", "fieldtitle"})),
        Visit("snooze refused, values shown again", CHIEF, item, status=422,
              post_to=f"{item}/snooze",
              form={"until": "not a day", "reason": hostile("typedreason")},
              expect=frozenset({"typedreason", "itemtitle"})),
        Visit("someone else changed it (409)", CHIEF, item, status=409,
              post_to=f"{item}/advance",
              form={"action": "approve", "expected_version": "1", "seen_seq": "0"},
              expect=frozenset({"comment", "fieldvalue", "actionsubmit", "ackreason"})),
        Visit("board", CHAIR, "/board",
              expect=frozenset({"pipelinetitle", "stagereview", "stagedrafting", "stagedone",
                                "itemtitle", "department"})),
        Visit("board, chief secretary, filtered", CHIEF,
              f"/board?pipeline={PIPELINE}&stalled=1",
              expect=frozenset({"pipelinetitle", "stagereview", "itemtitle", "department"})),
        Visit("board, refused filter", CHAIR,
              f"/board?department={quote(hostile('boardfilter'))}", status=400,
              expect=frozenset({"boardfilter"})),
        Visit("pipelines", OFFICER, "/pipelines",
              expect=frozenset({"pipelinetitle", "pipelinedescription"})),
        Visit("pipeline with its diagram", OFFICER, f"/pipelines/{PIPELINE}",
              expect=frozenset(pipeline_page)),
        Visit("digests", CHAIR, "/digests"),
        Visit("digest (newest, chair)", CHAIR, f"/digests/{latest}",
              expect=frozenset({"itemtitle", "parttitle", "stagereview", "stagedrafting",
                                "department", "officername", "donetitle", "pipelinetitle",
                                "exempttitle"})),
        Visit("digest (oldest, chair)", CHAIR, f"/digests/{first}",
              expect=frozenset({"itemtitle", "stagereview"})),
        Visit("digest (province, chief secretary)", CHIEF, f"/digests/{punjab}",
              expect=frozenset({"itemtitle", "parttitle", "department", "officername"})),
        Visit("sheet preview with a problem (secretary, Urdu)", SECRETARY, "/board", status=422,
              post_to="/board/sheet", form={}, files={"sheet": (
                  f"{short_hostile('sheetname')}.xlsx",
                  _sheet(hostile_site, {
                      ITEM: {sheets.ACTION: "approve", sheets.REMARK: hostile("sheetremark")},
                      EXEMPT: {sheets.VERSION: 99, sheets.REMARK: hostile("sheetconflict")},
                      PART: {sheets.HAPPENED_ON: hostile("sheetcell")},
                  }))},
              expect=frozenset({"itemtitle", "actionapprove", "stagedone", "sheetremark",
                                "exempttitle", "stagedrafting", "sheetconflict", "sheetcell",
                                "sheetname"})),
        Visit("sheet applied: the result (secretary, Urdu)", SECRETARY, "/board/sheet/result",
              expect=frozenset({"itemtitle", "sheetremark", "exempttitle", "sheetconflict",
                                "sheetname"})),
        Visit("no such commitment (404)", OFFICER, f"/commitments/{not_a_key}",
              status=404, expect=frozenset({"urlkey"})),
        Visit("no such page (404)", OFFICER, f"/nowhere/{not_a_path}",
              status=404),
        Visit("a digest that is not a number (400)", CHAIR,
              f"/digests/{not_a_path}", status=400,
              expect=frozenset({"urlpath"})),  # in the language form's next
    ]  # fmt: skip


def _open(hostile_site: Hostile, visit: Visit, clients: dict[str | None, TestClient]) -> str:
    client = clients.get(visit.who)
    if client is None:
        site = hostile_site.site
        client = site.anonymous() if visit.who is None else site.browser(visit.who)
        clients[visit.who] = client
    if visit.form is None:
        response = client.get(visit.path)
    else:
        token = csrf_of(client, visit.path)
        response = client.post(
            visit.post_to or visit.path, data={"csrf_token": token, **visit.form}, files=visit.files
        )
    assert response.status_code == visit.status, (
        f"{visit.name}: {response.status_code} {response.text[:2000]}"
    )
    assert response.headers["content-type"].startswith("text/html"), visit.name
    return response.text


def test_every_page_escapes_every_field(hostile_site: Hostile) -> None:
    clients: dict[str | None, TestClient] = {}
    seen: dict[str, set[str]] = {}
    problems: list[str] = []
    for visit in _visits(hostile_site):
        page = _open(hostile_site, visit, clients)
        problems += [f"{visit.name} ({visit.path[:60]}): {found}" for found in injected(page)]
        seen[visit.name] = shown(page)
        missing = visit.expect - seen[visit.name]
        if missing:
            problems.append(f"{visit.name}: does not show {sorted(missing)} (escaped)")
    assert not problems, "\n".join(problems)
    never = set(FIELDS) - set().union(*seen.values())
    # No page shows a meeting's chair: it is only checked for never coming back raw.
    assert never == NOT_SHOWN, f"fields no page showed: {sorted(never)}"


def test_the_mail_made_from_hostile_values_escapes_html_and_keeps_text(
    hostile_site: Hostile,
) -> None:
    app = hostile_site.app
    render = composer(app.catalogue, base_url="https://taskforce.example.org")
    kinds: dict[str, int] = {}
    with transaction(app.sessions) as session:
        for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            made = render(session, message)
            if not shown(made.html):
                continue  # about the bundled meeting only
            kinds[message.kind] = kinds.get(message.kind, 0) + 1
            assert not injected(made.html), (message.kind, injected(made.html))
            # Plain text and subjects are not HTML: the values stand as they were written.
            text = made.text + made.subject
            assert "&lt;" not in text and "&amp;" not in text, (message.kind, text[:500])
            assert "<a href=x data-pwned=1>" in text.lower(), (message.kind, text[:500])
    assert {"reminder", "escalation", "acknowledged", "snoozed", "digest"} <= set(kinds), kinds
