"""Who must act now: the people who can take a commitment's next step.

Pure: the caller passes the people once (for a whole list or digest) and the rule
picks, for each commitment, those who may take a step out of its current stage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from states.actors import FEDERAL, Actor, Role, province_of
from states.definition import Ending, Pipeline, Transition
from states.departments import department_key
from states.rules import CommitmentState, Status, may


@dataclass(frozen=True)
class Holder:
    """A person as the rule needs them: who they are, their reach, and whether active."""

    email: str
    name: str
    role: Role
    jurisdiction: str
    department: str
    active: bool = True

    @property
    def actor(self) -> Actor:
        return Actor(
            email=self.email,
            role=self.role,
            jurisdiction=self.jurisdiction,
            name=self.name,
            department=self.department,
        )


class People:
    """Active people indexed by jurisdiction: built once, asked for many items."""

    def __init__(self, people: Iterable[Holder]) -> None:
        self._by_jurisdiction: dict[str, list[Holder]] = defaultdict(list)
        for person in people:
            if person.active and person.role is not Role.SYSTEM:
                self._by_jurisdiction[person.jurisdiction].append(person)

    def covering(self, jurisdiction: str) -> list[Holder]:
        """Those whose jurisdiction covers `jurisdiction`: federal, its province, itself."""
        found = list(self._by_jurisdiction.get(FEDERAL, ()))
        province = province_of(jurisdiction)
        if province != FEDERAL:
            found += self._by_jurisdiction.get(province, ())
        if jurisdiction != province:
            found += self._by_jurisdiction.get(jurisdiction, ())
        return found


def _depth(jurisdiction: str) -> int:
    return 0 if jurisdiction == FEDERAL else jurisdiction.count("/") + 1


def next_steps(pipeline: Pipeline, stage: str) -> list[Transition]:
    """The steps expected out of `stage`: the moves onward, or withdrawing or recording a
    lapse where nothing else leads out. The system's own moves are nobody's step."""
    moves = [t for t in pipeline.transitions_from(stage) if Role.SYSTEM not in t.roles]
    onward = [
        t for t in moves if pipeline.stage(t.to).outcome not in (Ending.WITHDRAWN, Ending.LAPSED)
    ]
    return onward or moves


def stages_for(pipelines: Iterable[Pipeline], role: Role) -> set[tuple[str, int, str]]:
    """Where someone of `role` may be waited on: (pipeline, version, stage) whose next steps
    name the role. A cheap first cut before `waiting_on` decides for each item."""
    return {
        (pipeline.key, pipeline.version, stage.key)
        for pipeline in pipelines
        for stage in pipeline.stages
        if not stage.terminal
        and any(role in step.roles for step in next_steps(pipeline, stage.key))
    }


def waiting_on(
    pipeline: Pipeline,
    state: CommitmentState,
    people: People | Sequence[Holder],
    *,
    officer_email: str | None = None,
) -> tuple[Holder, ...]:
    """The active people who may take a step out of the current stage, most expected first.

    A step is a move onward; withdrawing or recording a lapse counts only where nothing
    else leads out. Order: the stage owner's role first (the item's own officer before
    other officers), then the nearest jurisdiction, then the item's own department.
    """
    if state.status is not Status.OPEN:
        return ()
    steps = next_steps(pipeline, state.stage)
    roles = {role for step in steps for role in step.roles}
    index = people if isinstance(people, People) else People(people)
    found = [
        person
        for person in index.covering(state.jurisdiction)
        if person.role in roles and any(may(pipeline, step, state, person.actor) for step in steps)
    ]
    owner = pipeline.stage(state.stage).owner
    own_officer = (officer_email or "").lower()
    department = department_key(state.department)

    def order(person: Holder) -> tuple[bool, bool, int, bool, str, str]:
        return (
            person.role is not owner,
            person.email.lower() != own_officer,
            -_depth(person.jurisdiction),
            department_key(person.department) != department,
            person.name.lower(),
            person.email.lower(),
        )

    return tuple(sorted(found, key=order))
