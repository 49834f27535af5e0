"""What follows an act's notification (post_enactment), and how a pipeline declares that a
stage starts a follow-up: where `follow_up` may stand, the pipeline it must name, and the
child the rule describes (key, titles in both languages, why it started)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from states import follow_up, governance, rules
from states.actors import Actor, Role
from states.catalogue import BUNDLED_PIPELINES, Catalogue, load_pipeline_file
from states.definition import Clock
from states.errors import DefinitionError, FieldError
from states.rules import CommitmentState, Status, TransitionRequest

CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES])
AFTER = CATALOGUE.latest("post_enactment")
BILL = CATALOGUE.latest("provincial_bill")
T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
OFFICER = Actor(email="officer@example.org", role=Role.OFFICER, jurisdiction="punjab")
SECRETARY = Actor(email="secretary@example.org", role=Role.SECRETARY, jurisdiction="punjab")

DEMO = """\
key: demo
version: 1
title: Demo
initial: open
stages:
  - key: open
    title: Open
    owner: officer
    time_limit: 5{open_extra}
  - key: done
    title: Done
    owner: officer
    terminal: true
    outcome: completed{done_extra}
  - key: dropped
    title: Dropped
    owner: officer
    terminal: true
    outcome: withdrawn{dropped_extra}
transitions:
  - action: finish
    title: Finish
    from: open
    to: done
    roles: [officer]
  - action: drop
    title: Drop
    from: open
    to: dropped
    roles: [officer]
"""


def demo(tmp_path: Path, *, open: str = "", done: str = "", dropped: str = "") -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(
        DEMO.format(open_extra=open, done_extra=done, dropped_extra=dropped), encoding="utf-8"
    )
    return path


def state(stage: str, **fields: str) -> CommitmentState:
    return CommitmentState(
        key="CMB-PUNJAB-ACT",
        pipeline=AFTER.key,
        pipeline_version=AFTER.version,
        jurisdiction="punjab",
        stage=stage,
        status=Status.for_stage(AFTER.stage(stage)),
        stage_entered_at=T0,
        fields=fields,
    )


def act(
    current: CommitmentState, action: str, actor: Actor, comment: str | None = None, **fields: str
) -> CommitmentState:
    request = TransitionRequest(action=action, actor=actor, fields=fields, comment=comment)
    return rules.apply(AFTER, current, request, now=T0 + timedelta(days=1)).state


def test_rules_are_notified_bodies_constituted_and_their_first_report_made() -> None:
    current = act(state("rules_drafting"), "send_rules_for_vetting", OFFICER)
    assert current.stage == "rules_vetting"
    assert AFTER.stage("rules_vetting").departments == ("law",)
    current = act(
        current,
        "notify_rules",
        OFFICER,
        rules_notification="No. SO(J)/4-12/2026",
        rules_notified_on="2026-06-30",
    )
    assert current.stage == "rules_notified"
    current = act(
        current,
        "constitute_bodies",
        SECRETARY,
        bodies_constituted="A committee in every district",
        bodies_notification="No. SO(J)/4-13/2026",
    )
    assert current.stage == "bodies_constituted"
    current = act(current, "record_first_report", OFFICER, first_report_on="2026-07-01")
    assert (current.stage, current.status) == ("reported", Status.COMPLETED)


def test_the_rules_cannot_be_recorded_notified_without_their_notification_number() -> None:
    vetting = state("rules_vetting")
    with pytest.raises(FieldError, match="rules_notification"):
        act(vetting, "notify_rules", OFFICER, rules_notified_on="2026-06-30")


def test_rules_count_ninety_calendar_days_and_the_bodies_months() -> None:
    drafting = AFTER.stage("rules_drafting")
    assert (drafting.time_limit, drafting.clock) == (90, Clock.CALENDAR_DAYS)
    assert AFTER.stage("rules_notified").clock is Clock.MONTHS
    assert AFTER.stage("bodies_constituted").clock is Clock.MONTHS


def test_it_can_be_withdrawn_from_every_open_stage_with_a_reason() -> None:
    for stage in AFTER.stages:
        if stage.terminal:
            continue
        withdrawn = act(state(stage.key), "withdraw", SECRETARY, comment="The act was repealed")
        assert withdrawn.status is Status.WITHDRAWN, stage.key


def test_it_meets_every_governance_check_and_is_translated_throughout() -> None:
    assert governance.pipeline_findings(AFTER, bundled=True) == []
    assert AFTER.ladder[-1].notify is Role.CHAIR
    titles = [AFTER.title, *(s.title for s in AFTER.stages)]
    titles += [t.title for t in AFTER.transitions]
    titles += [f.title for f in AFTER.fields.values()]
    assert all(title.ur for title in titles)


def test_follow_up_is_declared_on_a_completed_end_and_kept_out_of_the_checksum(
    tmp_path: Path,
) -> None:
    plain = load_pipeline_file(demo(tmp_path))
    declared = load_pipeline_file(demo(tmp_path, done="\n    follow_up: post_enactment"))
    assert declared.stage("done").follow_up == "post_enactment"
    assert declared.checksum() != plain.checksum()
    assert "follow_up" not in plain.canonical_json()
    # Version 4 of the bill, which has none, keeps the checksum installations registered.
    kept = load_pipeline_file(BUNDLED_PIPELINES / "previous" / "provincial_bill.v4.yaml")
    assert "follow_up" not in kept.canonical_json()


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("open", "stage 'open' is not a terminal stage with outcome completed"),
        ("dropped", "stage 'dropped' is not a terminal stage with outcome completed"),
    ],
)
def test_follow_up_is_refused_anywhere_but_a_completed_end(
    tmp_path: Path, where: str, said: str
) -> None:
    path = demo(tmp_path, **{where: "\n    follow_up: post_enactment"})
    with pytest.raises(DefinitionError) as refused:
        load_pipeline_file(path)
    assert said in str(refused.value)
    assert "follow_up" in str(refused.value)


def test_a_pipeline_cannot_follow_up_with_itself(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="follows up with its own pipeline 'demo'"):
        load_pipeline_file(demo(tmp_path, done="\n    follow_up: demo"))


def test_the_pipeline_followed_up_with_must_be_in_the_catalogue(tmp_path: Path) -> None:
    demo(tmp_path, done="\n    follow_up: after_the_act")
    with pytest.raises(DefinitionError) as refused:
        Catalogue.from_directories([tmp_path])
    said = str(refused.value)
    assert "demo.yaml: stages[1].follow_up: stage 'done' follows up with pipeline" in said
    assert "'after_the_act', which is not among the pipelines: demo" in said
    # Beside the bundled pipelines, a bundled one may be named.
    demo(tmp_path, done="\n    follow_up: post_enactment")
    both = Catalogue.from_directories([BUNDLED_PIPELINES, tmp_path])
    assert both.get("demo", 1).stage("done").follow_up == "post_enactment"


def enacted(**fields: str) -> CommitmentState:
    return CommitmentState(
        key="CMB-PUNJAB",
        pipeline=BILL.key,
        pipeline_version=BILL.version,
        jurisdiction="punjab",
        stage="enacted",
        status=Status.COMPLETED,
        stage_entered_at=T0,
        fields=fields,
    )


def test_an_enacted_bill_describes_its_follow_up_in_both_languages() -> None:
    made = follow_up.follow_up(
        BILL,
        enacted(act_number="Act XIV of 2026", gazette_notification="PJG-2026-991"),
        AFTER,
        title="Enact a child marriage restraint law in Punjab",
        title_ur="پنجاب میں قانون",
        action="notify_in_gazette",
    )
    assert made is not None
    assert (made.key, made.pipeline) == ("CMB-PUNJAB-ACT", "post_enactment")
    assert made.title == (
        "Rules and bodies under the act: Enact a child marriage restraint law in Punjab"
    )
    assert made.title_ur == "ایکٹ کے تحت قواعد اور ادارے: پنجاب میں قانون"
    assert "Act number: Act XIV of 2026" in made.reason
    assert "Gazette notification number: PJG-2026-991" in made.reason
    assert made.reason.startswith("CMB-PUNJAB reached Gazette notified (enacted)")


def test_no_follow_up_from_a_stage_that_declares_none_and_a_long_title_is_cut() -> None:
    withdrawn = CommitmentState(
        key="CMB-PUNJAB",
        pipeline=BILL.key,
        pipeline_version=BILL.version,
        jurisdiction="punjab",
        stage="withdrawn",
        status=Status.WITHDRAWN,
        stage_entered_at=T0,
    )
    assert (
        follow_up.follow_up(BILL, withdrawn, AFTER, title="T", title_ur=None, action="withdraw")
        is None
    )
    made = follow_up.follow_up(
        BILL, enacted(), AFTER, title="x" * 300, title_ur=None, action="notify_in_gazette"
    )
    assert made is not None
    assert len(made.title) == 300 and made.title.endswith("…")
    assert made.title_ur.startswith("ایکٹ کے تحت قواعد اور ادارے: xxx")


def test_a_key_too_long_for_its_follow_up_is_refused() -> None:
    long = replace(enacted(), key="K" * 62)
    with pytest.raises(follow_up.FollowUpRefusedError, match="longer than 64 characters"):
        follow_up.follow_up(BILL, long, AFTER, title="T", title_ur=None, action="notify_in_gazette")
