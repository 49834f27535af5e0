"""Department access, who must act now and parents waiting for their children, on both databases.

CMB-PUNJAB is the Law Department's child-marriage bill; the Women Development officer
of Punjab may read it but not move it. At cabinet approval (a stage the secretary
owns) the Law secretary must act, and the escalation mail names her, not the officer.
DHRC-PUNJAB waits for its district committees (Lahore the last) before it can be operational.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import queries, waiting, workflow
from db.digest import build_digest
from db.models import OutboxMessage
from db.sweep import SweepReport
from notifications.compose import compose
from notifications.digest import digest_context
from notifications.render import Renderer
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.errors import OpenChildrenError, RoleNotAllowedError

Advance = Callable[..., workflow.Advanced]
Stored = Callable[..., dict[str, Any]]

LAW_OFFICER = "law.officer.punjab@example.org"
LAW_SECRETARY = "law.secretary.punjab@example.org"
WOMEN_OFFICER = "women.officer.punjab@example.org"
# Long past cabinet approval's ten working days: every rung of the ladder has been told.
LONG_AFTER = datetime(2026, 8, 20, 5, 0, tzinfo=UTC)


def test_another_departments_officer_cannot_move_the_bill(
    loaded: Catalogue, advance: Advance, stored: Stored
) -> None:
    before = stored("CMB-PUNJAB")

    with pytest.raises(RoleNotAllowedError) as refused:
        advance("CMB-PUNJAB", "send_for_vetting", WOMEN_OFFICER)

    assert refused.value.message == (
        "Can't send_for_vetting CMB-PUNJAB: it belongs to the Law Department, and"
        f" {WOMEN_OFFICER} (officer) is in the Women Development Department"
    )
    assert stored("CMB-PUNJAB") == before
    assert advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER).commitment.stage == "law_vetting"


def test_the_secretarys_stage_waits_on_the_secretary_and_the_mail_names_her(
    loaded: Catalogue,
    advance: Advance,
    sweep: Callable[..., SweepReport],
    sessions: sessionmaker[Session],
) -> None:
    advance("CMB-PUNJAB", "send_for_vetting", LAW_OFFICER)
    advance("CMB-PUNJAB", "vet", LAW_SECRETARY)
    with sessions() as session:
        bill = queries.get_commitment(session, "CMB-PUNJAB")
        found = waiting.waiting_on(loaded, bill, waiting.holders(session))
    assert bill.stage == "cabinet_approval"
    assert [(p.email, p.role.value) for p in found] == [
        (LAW_SECRETARY, "secretary"),
        ("law.secretary.federal@example.org", "secretary"),
        ("cs.punjab@example.org", "chief_secretary"),
    ]

    sweep(LONG_AFTER)

    with sessions() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "escalation")
            .order_by(OutboxMessage.id)
        ).all()
        mails = [
            compose(session, row, Renderer(), loaded, base_url="https://t.example.org/")
            for row in rows
            if row.payload.get("commitment") == "CMB-PUNJAB"
        ]
    assert len(mails) == 4  # officer, secretary, chief secretary, chair
    for mail in mails:
        assert f"Shazia Nawaz <{LAW_SECRETARY}> (secretary)" in mail.text.split("Officer:")[0]
        assert f"Kamran Aslam <{LAW_OFFICER}>" not in mail.text.split("Officer:")[0]
        assert f"Officer:   Kamran Aslam <{LAW_OFFICER}> (officer)" in mail.text
        assert "Must act:  Shazia Nawaz" in mail.text or "کارروائی کس کے ذمے" in mail.text

    # The digest line names her too, in English and in Urdu.
    with sessions() as session:
        content = build_digest(session, loaded, WorkingCalendar(), scope="punjab", now=LONG_AFTER)
    item = next(i for i in content.overdue() if i.key == "CMB-PUNJAB")
    assert item.waiting_on[0].email == LAW_SECRETARY
    for language, words in (
        ("en", "must act: Shazia Nawaz (secretary)"),
        ("ur", "کارروائی کس کے ذمے: Shazia Nawaz"),
    ):
        context = digest_context(
            content, base_url="https://t.example.org/", recipient_name="CS", language=language
        )
        rendered = Renderer().render("digest", language, context)
        assert words in rendered.text
        assert "Shazia Nawaz" in rendered.html


def test_a_parent_waits_for_its_open_child(
    loaded: Catalogue,
    activate_committee: Callable[..., workflow.Advanced],
    activate_districts: Callable[..., list[str]],
    advance: Advance,
    stored: Stored,
) -> None:
    officer = "hr.officer.punjab@example.org"
    activate_committee("DHRC-PUNJAB", officer, until="first_meeting_held")
    # Every district of Punjab but Lahore is operational: Lahore is the one left open.
    activated = activate_districts("DHRC-PUNJAB", officer, leaving={"DHRC-PUNJAB-LAHORE"})
    assert len(activated) == 40
    before = stored("DHRC-PUNJAB")

    with pytest.raises(OpenChildrenError) as refused:
        advance(
            "DHRC-PUNJAB", "report_operational", officer, fields={"first_report_on": "2026-06-10"}
        )

    assert refused.value.open_children == ("DHRC-PUNJAB-LAHORE",)
    assert "DHRC-PUNJAB-LAHORE" in refused.value.message
    assert stored("DHRC-PUNJAB") == before

    activate_committee("DHRC-PUNJAB-LAHORE", "hr.officer.lahore@example.org")
    done = advance(
        "DHRC-PUNJAB", "report_operational", officer, fields={"first_report_on": "2026-06-10"}
    )
    assert (done.commitment.stage, done.commitment.status) == ("operational", "completed")
    # Punjab was one of four provinces: the national commitment waits for the others.
    assert done.rolled_up == ()
    assert stored("DHRC-NATIONAL")["status"] == "open"
