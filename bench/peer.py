"""The peer engine for benchmark 1: python-statemachine driving the same rows through SQLAlchemy.

The provincial bill is declared the peer's way, as a StateMachine class bound to
the commitment row (`state_field="stage"`): conditions check the actor's role,
validators the fields each action needs. Persistence is the same as the
engine's: the same tables, the same SQLAlchemy session and settings, one
transaction per advance with the version check, the event row and the due time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from statemachine import State, StateMachine

from db.engine import transaction
from db.models import Commitment, Event, Person

if TYPE_CHECKING:
    from bench.advance import Step
    from bench.databases import Installation

# Working days each stage may take (the pipeline's time limits, declared again for the peer).
TIME_LIMITS = {
    "drafting": 15,
    "law_vetting": 10,
    "cabinet_approval": 10,
    "cabinet_approved": 10,
    "introduced": 10,
    "standing_committee": 20,
    "passed": 5,
    "governor_assent": 10,
}
OPEN_STAGES = tuple(TIME_LIMITS)


class ProvincialBill(StateMachine):
    """A provincial bill from drafting to the gazette, in python-statemachine's idiom."""

    drafting = State(initial=True)
    law_vetting = State()
    cabinet_approval = State()
    cabinet_approved = State()
    introduced = State()
    standing_committee = State()
    passed = State()
    governor_assent = State()
    enacted = State(final=True)
    withdrawn = State(final=True)
    lapsed = State(final=True)

    send_for_vetting = drafting.to(law_vetting, cond="officer_or_secretary")
    return_to_drafting = law_vetting.to(
        drafting, cond="officer_or_secretary", validators="comment_given"
    )
    vet = law_vetting.to(cabinet_approval, cond="officer_or_secretary")
    approve_in_cabinet = cabinet_approval.to(
        cabinet_approved, cond="secretary_or_chief_secretary", validators="cabinet_fields_given"
    )
    introduce = cabinet_approved.to(
        introduced, cond="officer_or_secretary_or_chief_secretary", validators="bill_fields_given"
    )
    refer_to_committee = introduced.to(standing_committee, cond="officer")
    pass_bill = introduced.to(
        passed, cond="officer", validators="passed_on_given", event="pass"
    ) | (standing_committee.to(passed, cond="officer", validators="passed_on_given", event="pass"))
    return_from_committee = standing_committee.to(
        law_vetting, cond="officer", validators="comment_given"
    )
    send_for_assent = passed.to(governor_assent, cond="officer_or_secretary")
    return_by_governor = governor_assent.to(
        introduced, cond="secretary", validators="comment_given"
    )
    notify_in_gazette = governor_assent.to(
        enacted, cond="officer_or_secretary", validators="gazette_fields_given"
    )
    withdraw = (
        drafting.to(withdrawn)
        | law_vetting.to(withdrawn)
        | cabinet_approval.to(withdrawn)
        | cabinet_approved.to(withdrawn)
        | introduced.to(withdrawn)
        | standing_committee.to(withdrawn)
        | passed.to(withdrawn)
        | governor_assent.to(withdrawn)
    )
    lapse = (
        drafting.to(lapsed)
        | law_vetting.to(lapsed)
        | cabinet_approval.to(lapsed)
        | cabinet_approved.to(lapsed)
        | introduced.to(lapsed)
        | standing_committee.to(lapsed)
        | passed.to(lapsed)
        | governor_assent.to(lapsed)
    )

    def officer(self, role: str) -> bool:
        return role == "officer"

    def secretary(self, role: str) -> bool:
        return role == "secretary"

    def officer_or_secretary(self, role: str) -> bool:
        return role in ("officer", "secretary")

    def secretary_or_chief_secretary(self, role: str) -> bool:
        return role in ("secretary", "chief_secretary")

    def comment_given(self, comment: str | None = None) -> None:
        if not (comment or "").strip():
            raise ValueError("this action needs a comment")

    def officer_or_secretary_or_chief_secretary(self, role: str) -> bool:
        return role in ("officer", "secretary", "chief_secretary")

    def cabinet_fields_given(self, fields: Mapping[str, str]) -> None:
        _require(fields, "cabinet_decision")

    def bill_fields_given(self, fields: Mapping[str, str]) -> None:
        _require(fields, "bill_number", "introduced_on")

    def passed_on_given(self, fields: Mapping[str, str]) -> None:
        _require(fields, "passed_on")

    def gazette_fields_given(self, fields: Mapping[str, str]) -> None:
        _require(fields, "act_number", "gazette_notification")


def _require(fields: Mapping[str, str], *names: str) -> None:
    missing = [n for n in names if not str(fields.get(n, "")).strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")


def walk_peer(
    installation: Installation,
    keys: Sequence[str],
    walk: Sequence[Step],
    *,
    moments: Callable[[], datetime],
) -> None:
    """Walk every key through `walk`, one transaction per advance, as the engine's walk does."""
    calendar = installation.calendar
    for number, step in enumerate(walk):
        for key in keys:
            now = moments()
            with transaction(installation.sessions) as session:
                row = session.scalar(select(Commitment).where(Commitment.key == key))
                if row is None or row.version != number + 1:
                    raise RuntimeError(f"{key} is not where the walk expects it")
                person = session.scalar(
                    select(Person).where(func.lower(Person.email) == step.actor.lower())
                )
                if person is None:
                    raise RuntimeError(f"nobody is {step.actor}")
                seq = (
                    session.scalar(select(func.max(Event.seq)).where(Event.commitment_id == row.id))
                    or 0
                ) + 1
                before = row.stage
                machine = ProvincialBill(model=row, state_field="stage")
                machine.send(step.action, role=person.role, fields=step.fields, comment=None)
                row.fields = {**row.fields, **step.fields}
                row.stage_entered_at = now
                row.stage_seq = seq
                row.snoozed_until = None
                limit = TIME_LIMITS.get(row.stage)
                if limit is None:
                    row.status, row.closed_at, row.due_at = "completed", now, None
                else:
                    row.due_at = calendar.due_at(now, limit, row.jurisdiction)
                session.add(_event(row, person, step.action, before, step.fields, now, seq))


def _event(
    row: Commitment,
    person: Person,
    action: str,
    before: str,
    fields: Mapping[str, Any],
    now: datetime,
    seq: int,
) -> Event:
    return Event(
        commitment_id=row.id,
        seq=seq,
        kind="transition",
        at=now,
        actor_email=person.email,
        actor_role=person.role,
        action=action,
        from_stage=before,
        to_stage=row.stage,
        fields=dict(fields),
        comment=None,
    )
