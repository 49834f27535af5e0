"""Moving commitments on a real database: a stage and its event are stored together, or neither."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from db import pipelines, queries, workflow
from db.engine import make_engine, session_factory, transaction
from db.models import Commitment, Person, PipelineVersion
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import (
    CommentRequiredError,
    CommitmentClosedError,
    FieldError,
    IllegalTransitionError,
    NotFoundError,
    RoleNotAllowedError,
    TransitionError,
    VersionConflictError,
)

Advance = Callable[..., workflow.Advanced]
Stored = Callable[..., dict[str, Any]]

LAW_OFFICER = "law.officer.punjab@example.org"
LAW_SECRETARY = "law.secretary.punjab@example.org"
SINDH_HR_OFFICER = "hr.officer.sindh@example.org"
REGISTERED_AT = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_an_advance_writes_the_new_stage_and_one_event(
    loaded: Catalogue, advance: Advance, stored: Stored, sessions: sessionmaker[Session]
) -> None:
    before = stored("CMB-PUNJAB")

    result = advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER, comment="draft is ready")

    after = stored("CMB-PUNJAB")
    assert (before["stage"], after["stage"]) == ("drafting", "law_vetting")
    assert after["version"] == before["version"] + 1
    assert after["stage_entered_at"] == result.event.at
    assert after["history"][:-1] == before["history"]
    assert after["history"][-1] == {
        "seq": len(before["history"]) + 1,
        "kind": "transition",
        "at": result.event.at,
        "actor": LAW_OFFICER,
        "role": "officer",
        "action": "send_for_vetting",
        "from": "drafting",
        "to": "law_vetting",
        "fields": {},
        "comment": "draft is ready",
    }
    assert result.rolled_up == ()


def test_the_event_log_matches_the_state_after_a_walk_to_the_end(
    loaded: Catalogue, advance: Advance, stored: Stored, sessions: sessionmaker[Session]
) -> None:
    steps = [
        ("send_for_vetting", LAW_OFFICER, {}),
        ("return_to_drafting", LAW_SECRETARY, {}),
        ("send_for_vetting", LAW_OFFICER, {}),
        ("vet", LAW_SECRETARY, {}),
        ("approve_in_cabinet", "cs.punjab@example.org", {"cabinet_decision": "CAB-2026-77"}),
        (
            "introduce",
            "cs.punjab@example.org",
            {"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-06-01"},
        ),
        ("pass", LAW_OFFICER, {"passed_on": "2026-06-05"}),
        ("send_for_assent", LAW_OFFICER, {}),
        (
            "notify_in_gazette",
            LAW_SECRETARY,
            {"act_number": "Act XIV of 2026", "gazette_notification": "PJG-2026-991"},
        ),
    ]
    for action, actor, fields in steps:
        comment = "sent back with remarks" if action == "return_to_drafting" else None
        advance("CMB-PUNJAB", action, actor, fields=fields, comment=comment)

    final = stored("CMB-PUNJAB")
    assert (final["stage"], final["status"]) == ("enacted", "completed")
    assert final["closed_at"] == final["history"][-1]["at"]
    assert [e["seq"] for e in final["history"]] == list(range(1, len(steps) + 2))
    assert [e["action"] for e in final["history"]] == [None] + [a for a, _, _ in steps]
    for earlier, later in zip(final["history"], final["history"][1:], strict=False):
        assert later["from"] == earlier["to"]
    assert final["fields"]["act_number"] == "Act XIV of 2026"
    with sessions() as session:
        assert queries.inconsistent_keys(session) == []


def test_the_stage_and_its_event_share_one_transaction(
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    stored: Stored,
    clock: Callable[[], Any],
) -> None:
    before = stored("CMB-PUNJAB")

    with pytest.raises(RuntimeError, match="after the advance"), transaction(sessions) as session:
        workflow.advance(
            session,
            loaded,
            key="CMB-PUNJAB",
            action="send_for_vetting",
            actor_email=LAW_OFFICER,
            now=clock(),
        )
        raise RuntimeError("the request failed after the advance")

    assert stored("CMB-PUNJAB") == before


@pytest.mark.parametrize(
    ("key", "action", "actor", "fields", "refusal", "says"),
    [
        pytest.param(
            "CMB-PUNJAB",
            "approve_in_cabinet",
            LAW_SECRETARY,
            {},
            IllegalTransitionError,
            "allowed here: send_for_vetting, give_notice, withdraw",
            id="illegal-action",
        ),
        pytest.param(
            "CMB-PUNJAB",
            "withdraw",
            LAW_OFFICER,
            {},
            RoleNotAllowedError,
            "is officer; this action is for secretary, chief_secretary, chair",
            id="wrong-role",
        ),
        pytest.param(
            "CSW-SINDH",
            "shortlist",
            "women.officer.punjab@example.org",
            {"shortlist_size": "7"},
            RoleNotAllowedError,
            "it belongs to sindh",
            id="wrong-jurisdiction",
        ),
        pytest.param(
            "DHRC-SINDH-BADIN",
            "nominate_members",
            SINDH_HR_OFFICER,
            {},
            FieldError,
            "missing members",
            id="missing-field",
        ),
        pytest.param(
            "DHRC-SINDH-BADIN",
            "nominate_members",
            SINDH_HR_OFFICER,
            {"members": "eleven"},
            FieldError,
            "must be a whole number",
            id="malformed-field",
        ),
        pytest.param(
            "DHRC-SINDH-BADIN",
            "nominate_members",
            SINDH_HR_OFFICER,
            {"members": "11", "colour": "blue"},
            FieldError,
            "unknown field colour",
            id="unknown-field",
        ),
        pytest.param(
            "CMB-PUNJAB",
            "withdraw",
            LAW_SECRETARY,
            {},
            CommentRequiredError,
            "needs a comment",
            id="comment-required",
        ),
    ],
)
def test_a_refused_advance_changes_neither_the_commitment_nor_its_log(
    loaded: Catalogue,
    advance: Advance,
    stored: Stored,
    event_count: Callable[[], int],
    key: str,
    action: str,
    actor: str,
    fields: dict[str, str],
    refusal: type[TransitionError],
    says: str,
) -> None:
    before, events_before = stored(key), event_count()

    with pytest.raises(refusal, match=says) as refused:
        advance(key, action, actor, fields=fields)

    assert (refused.value.key, refused.value.action) == (key, action)
    assert refused.value.stage == before["stage"]
    assert stored(key) == before
    assert event_count() == events_before


def test_a_closed_commitment_does_not_move(
    loaded: Catalogue, advance: Advance, stored: Stored
) -> None:
    advance("CMB-PUNJAB", "withdraw", LAW_SECRETARY, comment="superseded by a federal law")
    closed = stored("CMB-PUNJAB")

    with pytest.raises(CommitmentClosedError, match="closed"):
        advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER)

    assert closed["status"] == "withdrawn"
    assert stored("CMB-PUNJAB") == closed


def test_an_unknown_commitment_key_is_not_found(
    loaded: Catalogue, advance: Advance, event_count: Callable[[], int]
) -> None:
    events = event_count()

    with pytest.raises(NotFoundError, match="no commitment 'CMB-NOWHERE'"):
        advance("CMB-NOWHERE", "send_for_vetting", LAW_OFFICER)

    assert event_count() == events


def test_keys_are_matched_whatever_their_case(
    loaded: Catalogue, advance: Advance, stored: Stored
) -> None:
    result = advance("cmb-punjab", "send_for_vetting", LAW_OFFICER)

    assert result.commitment.key == "CMB-PUNJAB"
    assert stored("CMB-PUNJAB")["stage"] == "law_vetting"


def test_an_unknown_email_is_not_found(loaded: Catalogue, advance: Advance, stored: Stored) -> None:
    before = stored("CMB-PUNJAB")

    with pytest.raises(NotFoundError, match=r"no person with email nobody@example\.org"):
        advance("CMB-PUNJAB", "send_for_vetting", "nobody@example.org")

    assert stored("CMB-PUNJAB") == before


def test_emails_are_matched_whatever_their_case(
    loaded: Catalogue, advance: Advance, stored: Stored
) -> None:
    advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER.upper())

    assert stored("CMB-PUNJAB")["history"][-1]["actor"] == LAW_OFFICER


def test_a_person_no_longer_active_cannot_act(
    catalogue: Catalogue,
    make_person: Callable[..., Person],
    make_commitment: Callable[..., Commitment],
    advance: Advance,
    stored: Stored,
) -> None:
    make_person("retired@example.org", role="officer", jurisdiction="federal", active=False)
    make_commitment("NAP-HR-99", "action_task", "federal")
    before = stored("NAP-HR-99")

    with pytest.raises(NotFoundError, match="no longer active"):
        advance("NAP-HR-99", "take_up", "retired@example.org")

    assert stored("NAP-HR-99") == before


def test_a_new_commitment_starts_with_its_created_event(
    catalogue: Catalogue,
    make_person: Callable[..., Person],
    make_commitment: Callable[..., Commitment],
    stored: Stored,
) -> None:
    make_person("officer@example.org", jurisdiction="federal")

    created = make_commitment("NAP-HR-99", "action_task", "federal", officer="officer@example.org")

    state = stored("NAP-HR-99")
    assert created.deadline is not None and created.deadline.isoformat() == "2026-09-12"
    assert (state["pipeline"], state["stage"], state["status"]) == (
        ("action_task", 1),
        "assigned",
        "open",
    )
    assert state["history"] == [
        {
            "seq": 1,
            "kind": "created",
            "at": created.created_at,
            "actor": "system",
            "role": "system",
            "action": None,
            "from": None,
            "to": "assigned",
            "fields": {},
            "comment": None,
        }
    ]


# --- pipeline versions --------------------------------------------------------------------


def _publish(
    sessions: sessionmaker[Session], folder: Path, name: str, edit: Callable[[str], str]
) -> Catalogue:
    """Write an edited copy of a bundled pipeline to `folder`, register it, return the catalogue."""
    folder.mkdir(exist_ok=True)
    text = (BUNDLED_PIPELINES / name).read_text(encoding="utf-8")
    edited = edit(text)
    assert edited != text, "the edit must change the definition"
    (folder / name).write_text(edited, encoding="utf-8")
    files = Catalogue.from_directories([BUNDLED_PIPELINES, folder])
    with transaction(sessions) as session:
        pipelines.register(session, files, now=REGISTERED_AT)
        return pipelines.registered(session)


def _action_task_v2(text: str) -> str:
    """Version 2 of action_task: `take_up` is renamed `start_work`."""
    return text.replace("version: 1", "version: 2", 1).replace(
        "action: take_up", "action: start_work", 1
    )


def test_commitments_keep_the_pipeline_version_they_started_on(
    catalogue: Catalogue,
    sessions: sessionmaker[Session],
    make_person: Callable[..., Person],
    make_commitment: Callable[..., Commitment],
    advance: Advance,
    stored: Stored,
    tmp_path: Path,
) -> None:
    make_person("police.officer@example.org", jurisdiction="federal", department="police")
    make_commitment("NAP-HR-07", "action_task", "federal", department="police")
    make_commitment("NAP-HR-08", "action_task", "federal", department="police")

    newer = _publish(sessions, tmp_path / "v2", "action_task.yaml", _action_task_v2)
    make_commitment("NAP-HR-09", "action_task", "federal", department="police", using=newer)

    assert [p.version for p in newer.all() if p.key == "action_task"] == [1, 2]
    assert stored("NAP-HR-07")["pipeline"] == ("action_task", 1)
    assert stored("NAP-HR-09")["pipeline"] == ("action_task", 2)

    # The old commitment is still moved by version 1, which knows no start_work.
    advance("NAP-HR-07", "take_up", "police.officer@example.org", using=newer)
    with pytest.raises(IllegalTransitionError, match="allowed here: take_up, drop"):
        advance("NAP-HR-08", "start_work", "police.officer@example.org", using=newer)

    # The new one follows version 2, where take_up no longer exists.
    with pytest.raises(IllegalTransitionError, match="allowed here: start_work, drop"):
        advance("NAP-HR-09", "take_up", "police.officer@example.org", using=newer)
    advance("NAP-HR-09", "start_work", "police.officer@example.org", using=newer)

    assert stored("NAP-HR-07")["stage"] == stored("NAP-HR-09")["stage"] == "in_progress"
    assert stored("NAP-HR-07")["pipeline"] == ("action_task", 1)


def test_registering_the_same_definitions_again_adds_nothing(
    catalogue: Catalogue, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        added = pipelines.register(
            session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=REGISTERED_AT
        )
        again = pipelines.registered(session)

    assert added == []
    assert [(p.key, p.version, p.checksum()) for p in again.all()] == [
        (p.key, p.version, p.checksum()) for p in catalogue.all()
    ]


def test_a_changed_definition_under_the_same_version_is_refused(
    catalogue: Catalogue, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    changed = tmp_path / "changed"
    changed.mkdir()
    shutil.copy(BUNDLED_PIPELINES / "action_task.yaml", changed)
    path = changed / "action_task.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("action: take_up", "action: start_work", 1),
        encoding="utf-8",
    )

    with (
        pytest.raises(VersionConflictError, match=r"'action_task' version 1 .* set version: 2"),
        transaction(sessions) as session,
    ):
        pipelines.register(session, Catalogue.from_directories([changed]), now=REGISTERED_AT)

    with sessions() as session:
        registered = pipelines.registered(session)
    assert registered.get("action_task", 1).checksum() == catalogue.get("action_task", 1).checksum()
    assert [p.version for p in registered.all() if p.key == "action_task"] == [1]


def test_a_definition_registered_before_its_translation_takes_it_in_place(
    catalogue: Catalogue, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # The same pipeline as registered before its titles had Urdu: English alone.
    english = tmp_path / "english"
    english.mkdir()
    text = (BUNDLED_PIPELINES / "action_task.yaml").read_text(encoding="utf-8")
    plain = re.sub(r"\n\s+ur: .*", "", text)  # every translation, of titles and description
    assert "ur:" not in plain
    (english / "action_task.yaml").write_text(plain, encoding="utf-8")
    with transaction(sessions) as session:
        session.execute(delete(PipelineVersion).where(PipelineVersion.key == "action_task"))
        pipelines.register(session, Catalogue.from_directories([english]), now=REGISTERED_AT)
        before = pipelines.registered(session).get("action_task", 1)
    assert before.title.ur is None

    # The translated file, same version: no conflict, no new version, the Urdu is kept.
    with transaction(sessions) as session:
        added = pipelines.register(
            session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=REGISTERED_AT
        )
        after = pipelines.registered(session)

    assert added == []
    assert [p.version for p in after.all() if p.key == "action_task"] == [1]
    assert after.get("action_task", 1).title.in_("ur").text == "ایکشن پلان کا کام"
    assert after.get("action_task", 1).checksum() == before.checksum()


# --- saving and reloading -----------------------------------------------------------------


def test_reloading_mid_way_changes_nothing(
    loaded: Catalogue, database_url: str, advance: Advance, stored: Stored
) -> None:
    advance("DHRC-SINDH-BADIN", "nominate_members", SINDH_HR_OFFICER, fields={"members": " 11 "})
    last = advance(
        "DHRC-SINDH-BADIN",
        "hold_first_meeting",
        SINDH_HR_OFFICER,
        fields={"first_meeting_on": "2026-06-01", "minutes_reference": "DHRC-SB/01"},
        comment="Chaired by the Deputy Commissioner — اجلاس",
    )
    written = stored("DHRC-SINDH-BADIN")

    fresh = make_engine(database_url)
    try:
        reloaded = stored("DHRC-SINDH-BADIN", through=session_factory(fresh))
        with session_factory(fresh)() as session:
            catalogue_again = pipelines.registered(session)
    finally:
        fresh.dispose()

    assert reloaded == written
    assert reloaded["version"] == last.commitment.version
    assert reloaded["stage_entered_at"] == last.event.at
    assert reloaded["fields"] == {
        "members": "11",
        "first_meeting_on": "2026-06-01",
        "minutes_reference": "DHRC-SB/01",
    }
    assert [e["seq"] for e in reloaded["history"]] == [1, 2, 3]
    assert reloaded["history"][-1]["comment"] == "Chaired by the Deputy Commissioner — اجلاس"
    assert all(e["at"].tzinfo is not None for e in reloaded["history"])
    # The reloaded commitment carries on exactly where it stopped.
    done = advance(
        "DHRC-SINDH-BADIN",
        "report_operational",
        SINDH_HR_OFFICER,
        fields={"first_report_on": "2026-06-10"},
        using=catalogue_again,
    )
    assert (done.commitment.stage, done.commitment.status) == ("operational", "completed")
