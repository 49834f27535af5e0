"""Every route the app registers, asked by every role from every kind of jurisdiction,
and by another department's people.

The expected answer comes from the rules, not from a table written here: the
route's declared `Access` through `states.access.allows`, and for advancing, the
transition rule's own `options`. A route registered without a declared access
fails the test, so no new page or endpoint can slip in unguarded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount, Route

from db import workflow
from db.digest import record_digests
from db.engine import transaction
from db.models import Commitment, Digest, Person
from states import rules
from states.access import ITEM_SCOPED, Access, allows
from states.actors import Actor, Role
from taskforce.web.guard import ACCESS_KEY
from tests.web.conftest import LOADED_AT, PASSWORD_HASH, WEB_NOW, Site, csrf_of

ITEM = "CMB-PUNJAB"
ITEM_JURISDICTION = "punjab"
ACTION = "approve_in_cabinet"  # for secretaries and chief secretaries; needs a field
DIGEST_SCOPE = "punjab"
ROLES = [role for role in Role if role is not Role.SYSTEM]
JURISDICTIONS = ["federal", "punjab", "sindh", "punjab/lahore"]
ITEM_DEPARTMENT = "law"
# Another department's people who could otherwise reach the item: its officers and
# secretaries are refused, a chief secretary is not.
OTHER_DEPARTMENT = "women_development"
OTHER_DEPARTMENT_PEOPLE = [
    (Role.OFFICER, "punjab"),
    (Role.SECRETARY, "punjab"),
    (Role.SECRETARY, "federal"),
    (Role.CHIEF_SECRETARY, "punjab"),
]
# Routes the framework adds itself; each must be public.
FRAMEWORK_ROUTES = {"/api/v1/openapi.json"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    access: Access
    name: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def endpoints(site: Site) -> list[Endpoint]:
    """Every registered route and method, with its declared access."""
    found: list[Endpoint] = []
    for context in iter_route_contexts(site.app.routes):
        route = context.original_route
        path = context.path or ""
        if isinstance(route, APIRoute):
            declared = (route.openapi_extra or {}).get(ACCESS_KEY)
            assert declared, (
                f"{path} ({route.name}) declares no access: add"
                " **declared(Access.X) to its decorator and enforce it"
            )
            for method in sorted(route.methods - {"HEAD"}):
                found.append(Endpoint(method, path, Access(declared), route.name))
        elif isinstance(route, Mount):
            assert path == "/static", f"unexpected mount {path}"
            found.append(Endpoint("GET", "/static/app.css", Access.PUBLIC, "static"))
        elif isinstance(route, Route):
            assert path in FRAMEWORK_ROUTES, f"{path} is not a declared route"
            found.append(Endpoint("GET", path, Access.PUBLIC, route.name))
        else:
            raise AssertionError(f"unknown kind of route {route!r}")
    # Signing out ends the session: ask it last.
    return sorted(found, key=lambda e: e.name == "sign_out")


def path_values(site: Site) -> dict[str, str]:
    with transaction(site.installation.sessions) as session:
        digest_id = session.scalar(
            select(Digest.id).where(Digest.scope == DIGEST_SCOPE).order_by(Digest.id.desc())
        )
    assert digest_id is not None
    return {
        "key": ITEM,
        "digest_id": str(digest_id),
        "pipeline_key": "provincial_bill",
        # No file is attached in the matrix: whoever may ask is answered 404.
        "sha256": "0" * 64,
        "fmt": "csv",
    }


def filled(path: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, f"the matrix has no value for {{{name}}} in {path}: add one"
        return values[name]

    return re.sub(r"\{([^}]+)\}", value, path)


def expected_allowed(site: Site, endpoint: Endpoint, actor: Actor | None) -> bool:
    """What the rules say this person may do here."""
    if endpoint.access in ITEM_SCOPED:
        allowed = allows(
            endpoint.access, actor, jurisdiction=ITEM_JURISDICTION, department=ITEM_DEPARTMENT
        )
    elif endpoint.access is Access.DIGEST:
        allowed = allows(Access.DIGEST, actor, jurisdiction=DIGEST_SCOPE)
    else:
        allowed = allows(endpoint.access, actor)
    if allowed and endpoint.access is Access.ADVANCE:
        assert actor is not None
        with transaction(site.installation.sessions) as session:
            item = session.scalars(select(Commitment).where(Commitment.key == ITEM)).one()
            pipeline = site.installation.catalogue.get(item.pipeline_key, item.pipeline_version)
            open_to_actor = rules.options(pipeline, workflow.state_of(item), actor)
        allowed = ACTION in {option.transition.action for option in open_to_actor}
    return allowed


def body_for(endpoint: Endpoint) -> dict[str, Any]:
    """A request that passes authorization yet changes nothing when allowed."""
    yesterday = (WEB_NOW - timedelta(days=1)).date().isoformat()
    if endpoint.name.endswith("advance"):
        # The field the action needs is missing: refused 422 after authorization.
        return {"action": ACTION, "fields": {}, "expected_version": None}
    if endpoint.name.endswith("acknowledge"):
        # Nothing has been escalated yet: 404 after authorization.
        return {"reason": "seen"}
    if endpoint.name.endswith("note"):
        # A remark with no text and no file: refused 422 after authorization.
        return {"text": ""}
    if endpoint.name.endswith("snooze"):
        return {"until": yesterday, "reason": "a day in the past is refused"}
    if endpoint.name.endswith("pause"):
        # A last day already past: refused after authorization (resume: it is not paused).
        return {"reason": "a court's stay", "until": yesterday}
    if endpoint.name == "sign_in":
        return {"email": "nobody@example.org", "password": "wrong password here"}
    if "language" in endpoint.path:
        return {"language": "en"}
    return {}


def ask(client: TestClient, endpoint: Endpoint, url: str, csrf: str | None) -> int:
    if endpoint.method == "GET":
        return client.get(url).status_code
    body = body_for(endpoint)
    if endpoint.is_api:
        return client.request(endpoint.method, url, json=body).status_code
    form = {key: str(value) for key, value in body.items() if value is not None}
    if csrf:
        form["csrf_token"] = csrf
    return client.request(endpoint.method, url, data=form).status_code


def actors() -> Iterator[Actor]:
    for role in ROLES:
        for jurisdiction in JURISDICTIONS:
            slug = jurisdiction.replace("/", ".")
            yield Actor(
                email=f"{role}.{slug}@matrix.example.org",
                role=role,
                jurisdiction=jurisdiction,
                department=ITEM_DEPARTMENT,
            )
    for role, jurisdiction in OTHER_DEPARTMENT_PEOPLE:
        yield Actor(
            email=f"{role}.{jurisdiction}.{OTHER_DEPARTMENT}@matrix.example.org",
            role=role,
            jurisdiction=jurisdiction,
            department=OTHER_DEPARTMENT,
        )


@pytest.fixture
def matrix_site(site: Site) -> Site:
    """The site with a person for every role and jurisdiction, the item at cabinet approval,
    and a digest of Punjab."""
    app = site.installation
    if app.engine.dialect.name == "postgresql":
        # Two thousand requests, about 20 s: each answer is decided by the route's declared
        # access and the rules in states/, whatever the database; every route's queries run
        # on PostgreSQL in the page and API tests.
        pytest.skip("who may reach a route is the same on every database; SQLite is enough")
    with transaction(app.sessions) as session:
        for actor in actors():
            session.add(
                Person(
                    email=actor.email,
                    name=actor.email,
                    role=actor.role.value,
                    jurisdiction=actor.jurisdiction,
                    department=actor.department,
                    created_at=LOADED_AT,
                    password_hash=PASSWORD_HASH,
                )
            )
    with transaction(app.sessions) as session:
        for action in ("send_for_vetting", "vet"):
            workflow.advance(
                session,
                app.catalogue,
                key=ITEM,
                action=action,
                actor_email="law.officer.punjab@example.org",
                now=WEB_NOW - timedelta(days=3),
            )
        record_digests(session, app.catalogue, app.calendar, now=WEB_NOW - timedelta(days=2))
    return site


def test_every_route_answers_every_role_and_jurisdiction_as_the_rules_say(
    matrix_site: Site,
) -> None:
    site = matrix_site
    routes = endpoints(site)
    advance_route = next(e for e in routes if e.access is Access.ADVANCE and e.is_api)
    values = path_values(site)
    wrong: list[str] = []
    people: list[Actor | None] = [None, *actors()]
    for actor in people:
        if actor is None:
            client = site.anonymous()
            browser_csrf = csrf_of(client, "/sign-in")
            api_client = site.anonymous()
        else:
            client = site.browser(actor.email)
            browser_csrf = csrf_of(client, "/items")
            api_client = site.api(actor.email)
        for endpoint in routes:
            url = filled(endpoint.path, values)
            if endpoint.name == "api_latest_digest":
                url += f"?scope={DIGEST_SCOPE}"
            status = ask(api_client if endpoint.is_api else client, endpoint, url, browser_csrf)
            allowed = expected_allowed(site, endpoint, actor)
            who = f"{actor.role}/{actor.jurisdiction}/{actor.department}" if actor else "anonymous"
            if actor is None and endpoint.access is not Access.PUBLIC:
                refused = {401} if endpoint.is_api else {303}
                if status not in refused:
                    wrong.append(f"{who} {endpoint.method} {url}: {status}, expected {refused}")
            elif allowed and status in (401, 403):
                wrong.append(f"{who} {endpoint.method} {url}: {status}, but the rules allow it")
            elif not allowed and status != 403:
                wrong.append(f"{who} {endpoint.method} {url}: {status}, expected 403")
            if status >= 500:
                wrong.append(f"{who} {endpoint.method} {url}: server error {status}")
    assert not wrong, f"{len(wrong)} answers differ from the rules:\n" + "\n".join(wrong)
    # The rules themselves refuse the other department's officer and secretary, not its chief
    # secretary: the matrix above asked each of them and got the rules' answer.
    refused = [
        (actor.role, actor.jurisdiction)
        for actor in actors()
        if actor.department == OTHER_DEPARTMENT and not expected_allowed(site, advance_route, actor)
    ]
    assert refused == [
        (Role.OFFICER, "punjab"),
        (Role.SECRETARY, "punjab"),
        (Role.SECRETARY, "federal"),
    ]
    # Nothing the matrix sent was allowed to change the item.
    with transaction(site.installation.sessions) as session:
        stage = session.scalar(select(Commitment.stage).where(Commitment.key == ITEM))
    assert stage == "cabinet_approval"


def test_the_matrix_covers_every_kind_of_access(matrix_site: Site) -> None:
    declared = {endpoint.access for endpoint in endpoints(matrix_site)}
    assert declared >= {Access.PUBLIC, Access.SIGNED_IN, Access.ITEM, Access.ADVANCE}
