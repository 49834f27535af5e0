"""The JSON API: bearer tokens, the same access as the pages, errors as JSON with a code."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from db import tokens
from db.digest import record_digests
from db.engine import transaction
from db.models import ApiToken, Commitment, Escalation
from db.sweep import run_sweep
from tests.web.conftest import WEB_NOW, Site

OFFICER = "law.officer.punjab@example.org"
SINDH_OFFICER = "law.officer.sindh@example.org"
CHAIR = "chair@example.org"
CS_PUNJAB = "cs.punjab@example.org"
BILL = "CMB-PUNJAB"


def _stage(site: Site, key: str) -> str:
    with transaction(site.installation.sessions) as session:
        stage = session.scalar(select(Commitment.stage).where(Commitment.key == key))
        assert stage is not None
        return stage


def _sweep(site: Site) -> None:
    app = site.installation
    run_sweep(app.sessions, app.catalogue, app.calendar, now=WEB_NOW - timedelta(hours=1))


def test_without_a_token_the_api_answers_401_with_a_json_error(site: Site) -> None:
    response = site.anonymous().get("/api/v1/commitments")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_made_up_token_is_refused(site: Site) -> None:
    client = site.anonymous()
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer tf_made_up"})
    assert response.status_code == 401


def test_a_token_acts_as_its_person(site: Site) -> None:
    me = site.api(OFFICER).get("/api/v1/me").json()
    assert (me["email"], me["role"], me["jurisdiction"]) == (OFFICER, "officer", "punjab")


def test_a_revoked_token_stops_working_at_once(site: Site) -> None:
    token = site.token(OFFICER)
    client = site.anonymous()
    client.headers["Authorization"] = f"Bearer {token}"
    assert client.get("/api/v1/me").status_code == 200
    with transaction(site.installation.sessions) as session:
        row = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        assert row is not None
        tokens.revoke(session, row.id, now=WEB_NOW)
    assert client.get("/api/v1/me").status_code == 401


def test_tokens_are_stored_only_as_hashes(site: Site) -> None:
    token = site.token(OFFICER)
    with transaction(site.installation.sessions) as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and all(len(value) == 64 for value in stored)


def test_an_officer_lists_only_their_provinces_commitments(site: Site) -> None:
    page = site.api(OFFICER).get("/api/v1/commitments", params={"limit": 500}).json()
    jurisdictions = {item["jurisdiction"].partition("/")[0] for item in page["items"]}
    assert jurisdictions == {"punjab"}
    assert page["total"] == len(page["items"])


def test_the_chair_lists_every_province(site: Site) -> None:
    page = site.api(CHAIR).get("/api/v1/commitments", params={"limit": 500}).json()
    provinces = {item["jurisdiction"].partition("/")[0] for item in page["items"]}
    assert {"federal", "punjab", "sindh", "balochistan", "khyber_pakhtunkhwa"} <= provinces


def test_filters_and_pages(site: Site) -> None:
    client = site.api(CHAIR)
    bills = client.get("/api/v1/commitments", params={"pipeline": "provincial_bill"}).json()
    assert bills["items"] and {i["pipeline"] for i in bills["items"]} == {"provincial_bill"}
    first = client.get("/api/v1/commitments", params={"limit": 2}).json()
    second = client.get("/api/v1/commitments", params={"limit": 2, "after": first["next"]}).json()
    assert len(first["items"]) == 2 and first["total"] > 2
    assert not {i["key"] for i in first["items"]} & {i["key"] for i in second["items"]}


def test_asking_for_another_provinces_items_is_refused(site: Site) -> None:
    response = site.api(OFFICER).get("/api/v1/commitments", params={"jurisdiction": "sindh"})
    assert response.status_code == 403
    assert "sindh" in response.json()["error"]["message"]


def test_an_unknown_jurisdiction_is_named_in_the_error(site: Site) -> None:
    response = site.api(CHAIR).get("/api/v1/commitments", params={"jurisdiction": "atlantis"})
    assert response.status_code == 422
    assert "jurisdiction" in response.json()["error"]["fields"]


def test_one_commitment_comes_with_history_and_the_callers_actions(site: Site) -> None:
    body = site.api(OFFICER).get(f"/api/v1/commitments/{BILL}").json()
    assert body["key"] == BILL and body["stage"] == "drafting"
    assert body["history"][0]["kind"] == "created"
    assert [a["action"] for a in body["actions"]] == ["send_for_vetting", "withdraw"] or (
        "send_for_vetting" in [a["action"] for a in body["actions"]]
    )
    assert body["url"].endswith(f"/commitments/{BILL}")


def test_another_provinces_commitment_is_forbidden(site: Site) -> None:
    response = site.api(SINDH_OFFICER).get(f"/api/v1/commitments/{BILL}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_an_unknown_commitment_is_404_with_a_hint(site: Site) -> None:
    response = site.api(CHAIR).get("/api/v1/commitments/NOPE-1")
    assert response.status_code == 404
    assert "NOPE-1" in response.json()["error"]["message"]


def test_advance_moves_the_commitment_and_records_who(site: Site) -> None:
    client = site.api(OFFICER)
    version = client.get(f"/api/v1/commitments/{BILL}").json()["version"]
    response = client.post(
        f"/api/v1/commitments/{BILL}/advance",
        json={"action": "send_for_vetting", "comment": "draft ready", "expected_version": version},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stage"] == "law_vetting" and body["version"] > version
    assert body["history"][-1]["actor"] == OFFICER
    assert _stage(site, BILL) == "law_vetting"


def test_a_stale_version_is_a_conflict_and_changes_nothing(site: Site) -> None:
    client = site.api(OFFICER)
    version = client.get(f"/api/v1/commitments/{BILL}").json()["version"]
    client.post(f"/api/v1/commitments/{BILL}/advance", json={"action": "send_for_vetting"})
    response = client.post(
        f"/api/v1/commitments/{BILL}/advance",
        json={"action": "return_to_drafting", "expected_version": version, "comment": "x"},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert _stage(site, BILL) == "law_vetting"


def test_missing_fields_are_named_one_by_one(site: Site) -> None:
    client = site.api(CS_PUNJAB)
    officer = site.api(OFFICER)
    officer.post(f"/api/v1/commitments/{BILL}/advance", json={"action": "send_for_vetting"})
    officer.post(f"/api/v1/commitments/{BILL}/advance", json={"action": "vet"})
    response = client.post(
        f"/api/v1/commitments/{BILL}/advance", json={"action": "approve_in_cabinet"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_fields"
    assert set(error["fields"]) >= {"cabinet_decision"}
    assert _stage(site, BILL) == "cabinet_approval"


def test_an_action_the_role_may_not_take_is_forbidden(site: Site) -> None:
    officer = site.api(OFFICER)
    officer.post(f"/api/v1/commitments/{BILL}/advance", json={"action": "send_for_vetting"})
    officer.post(f"/api/v1/commitments/{BILL}/advance", json={"action": "vet"})
    response = officer.post(
        f"/api/v1/commitments/{BILL}/advance",
        json={"action": "approve_in_cabinet", "fields": {"cabinet_decision": "C-1"}},
    )
    assert response.status_code == 403
    assert _stage(site, BILL) == "cabinet_approval"


def test_an_action_not_open_from_the_stage_is_refused_with_the_allowed_ones(site: Site) -> None:
    response = site.api(OFFICER).post(
        f"/api/v1/commitments/{BILL}/advance", json={"action": "pass"}
    )
    assert response.status_code == 422
    assert "send_for_vetting" in response.json()["error"]["message"]


def test_a_malformed_body_is_a_json_422(site: Site) -> None:
    response = site.api(OFFICER).post(
        f"/api/v1/commitments/{BILL}/advance", json={"actions": "typo"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_stalled_lists_only_overdue_items_in_scope_longest_first(site: Site) -> None:
    items = site.api(CS_PUNJAB).get("/api/v1/stalled").json()["items"]
    assert items, "the bundled meeting has overdue Punjab items by late July"
    assert all(i["timing"]["stalled"] for i in items)
    assert {i["jurisdiction"].partition("/")[0] for i in items} == {"punjab"}
    due = [i["timing"]["due_at"] for i in items]
    assert due == sorted(due)


def test_an_overseer_acknowledges_an_escalation(site: Site) -> None:
    _sweep(site)
    stalled = site.api(CS_PUNJAB).get("/api/v1/stalled").json()["items"]
    escalated = [
        i["key"]
        for i in stalled
        if site.api(CS_PUNJAB).get(f"/api/v1/commitments/{i['key']}").json()["open_escalations"]
    ]
    assert escalated
    response = site.api(CS_PUNJAB).post(
        f"/api/v1/commitments/{escalated[0]}/acknowledge", json={"reason": "cabinet meets Friday"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["escalations"] >= 1
    body = site.api(CS_PUNJAB).get(f"/api/v1/commitments/{escalated[0]}").json()
    assert body["open_escalations"] == []
    assert body["history"][-1]["kind"] == "acknowledged"


def test_an_officer_may_not_snooze(site: Site) -> None:
    response = site.api(OFFICER).post(
        f"/api/v1/commitments/{BILL}/snooze", json={"until": "2026-07-30", "reason": "leave"}
    )
    assert response.status_code == 403


def test_an_overseer_snoozes_within_the_pipelines_limit(site: Site) -> None:
    client = site.api(CS_PUNJAB)
    too_far = client.post(
        f"/api/v1/commitments/{BILL}/snooze", json={"until": "2026-12-31", "reason": "later"}
    )
    assert too_far.status_code == 422
    response = client.post(
        f"/api/v1/commitments/{BILL}/snooze", json={"until": "2026-07-30", "reason": "session"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["history"][-1]["kind"] == "snoozed"


def test_the_latest_digest_for_the_chair_and_not_for_a_province(site: Site) -> None:
    app = site.installation
    with transaction(app.sessions) as session:
        record_digests(session, app.catalogue, app.calendar, now=WEB_NOW - timedelta(hours=2))
    digest = site.api(CHAIR).get("/api/v1/digests/latest").json()
    assert digest["scope"] == "federal" and digest["content"]["stalled"] > 0
    own = site.api(CS_PUNJAB).get("/api/v1/digests/latest")
    assert own.status_code == 200 and own.json()["scope"] == "punjab"
    assert site.api(CS_PUNJAB).get("/api/v1/digests/latest?scope=federal").status_code == 403
    assert site.api(OFFICER).get("/api/v1/digests/latest").status_code == 403


def test_no_digest_yet_is_a_404_that_says_how_to_make_one(site: Site) -> None:
    response = site.api(CHAIR).get("/api/v1/digests/latest")
    assert response.status_code == 404
    assert "taskforce digest" in response.json()["error"]["message"]


def _escalated_levels(site: Site) -> dict[str, int]:
    """The highest rung the sweep escalated for each item's current stall, by key."""
    with transaction(site.installation.sessions) as session:
        rows = session.execute(
            select(Commitment.key, func.max(Escalation.level))
            .join(
                Escalation,
                (Escalation.commitment_id == Commitment.id)
                & (Escalation.stage_seq == Commitment.stage_seq),
            )
            .where(Escalation.level > 0)
            .group_by(Commitment.key)
        ).all()
    return {key: level for key, level in rows}


def test_an_item_never_escalated_has_no_ladder_level_however_long_overdue(site: Site) -> None:
    # No sweep has run: items are long overdue, yet nobody above has been told.
    items = site.api(CHAIR).get("/api/v1/stalled", params={"limit": 500}).json()["items"]
    assert items
    assert all(item["timing"]["ladder_level"] is None for item in items)
    assert all(item["timing"]["handled"] is None for item in items)
    assert max(item["timing"]["level_due"] for item in items) >= 3
    one = site.api(CHAIR).get(f"/api/v1/commitments/{items[0]['key']}").json()
    assert one["timing"]["ladder_level"] is None
    assert one["timing"]["level_due"] == items[0]["timing"]["level_due"]


def test_after_a_sweep_the_ladder_level_is_the_rung_escalated(site: Site) -> None:
    _sweep(site)
    escalated = _escalated_levels(site)
    assert escalated
    items = site.api(CHAIR).get("/api/v1/stalled", params={"limit": 500}).json()["items"]
    shown = {item["key"]: item["timing"]["ladder_level"] for item in items}
    assert {key: level for key, level in shown.items() if level is not None} == escalated
    listed = site.api(CHAIR).get("/api/v1/commitments", params={"limit": 500}).json()["items"]
    assert {
        item["key"]: item["timing"]["ladder_level"]
        for item in listed
        if item["timing"]["ladder_level"] is not None
    } == escalated


def test_an_acknowledged_or_snoozed_item_says_so_in_the_api(site: Site) -> None:
    _sweep(site)
    client = site.api(CS_PUNJAB)
    punjab = [
        key
        for key, _ in sorted(_escalated_levels(site).items())
        if client.get(f"/api/v1/commitments/{key}").status_code == 200
    ]
    assert len(punjab) >= 2
    acknowledged, snoozed = punjab[:2]
    assert client.post(
        f"/api/v1/commitments/{acknowledged}/acknowledge", json={"reason": "cabinet meets Friday"}
    ).is_success
    assert client.post(
        f"/api/v1/commitments/{snoozed}/snooze", json={"until": "2026-07-30", "reason": "session"}
    ).is_success

    items = client.get("/api/v1/stalled", params={"limit": 500}).json()["items"]
    handled = {item["key"]: item["timing"]["handled"] for item in items}
    assert handled[acknowledged] == {
        "kind": "acknowledged",
        "by": CS_PUNJAB,
        "on": "2026-07-27",
        "until": None,
    }
    assert handled[snoozed] == {"kind": "snoozed", "by": None, "on": None, "until": "2026-07-30"}
    # Handled is not forgotten: the rung escalated still shows.
    one = client.get(f"/api/v1/commitments/{acknowledged}").json()["timing"]
    assert one["ladder_level"] is not None and one["handled"]["kind"] == "acknowledged"
