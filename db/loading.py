"""Loading a meeting file: its people and commitments, idempotently.

Loading the same file twice changes nothing: people are matched by email,
commitments by key, and an existing commitment's progress is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import continuity, queries, references, workflow
from db.models import Commitment, Meeting, Person
from states.actors import SYSTEM_ACTOR, covers
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.errors import NotFoundError, TaskforceError
from states.meeting import MeetingFile, PersonSpec

LOCAL_ZONE = ZoneInfo("Asia/Karachi")


@dataclass
class LoadReport:
    """What a load did, for the person who ran it."""

    meeting: str
    people_added: list[str] = field(default_factory=list)
    people_updated: list[str] = field(default_factory=list)
    commitments_added: list[str] = field(default_factory=list)
    commitments_kept: list[str] = field(default_factory=list)
    # Kept commitments this meeting restated: reiterated, or with a new deadline or officer.
    commitments_reiterated: list[str] = field(default_factory=list)
    commitments_amended: list[str] = field(default_factory=list)
    commitments_superseded: list[str] = field(default_factory=list)
    # Commitments given references or tags they did not carry yet.
    commitments_labelled: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.people_added
            or self.people_updated
            or self.commitments_added
            or self.commitments_reiterated
            or self.commitments_amended
            or self.commitments_superseded
            or self.commitments_labelled
        )


def start_of_day(day: date) -> datetime:
    """Midnight in Pakistan on `day`, the moment a commitment made that day starts."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_ZONE)


def load_meeting(
    session: Session,
    catalogue: Catalogue,
    file: MeetingFile,
    *,
    now: datetime,
    calendar: WorkingCalendar = workflow.PUBLIC_HOLIDAYS_ONLY,
) -> LoadReport:
    """Store the meeting's people and any commitments not yet stored."""
    report = LoadReport(meeting=file.meeting.key)
    meeting = _meeting(session, file)
    by_email = {p.email.lower(): _person(session, p, report, now=now) for p in file.people}
    session.flush()
    replaced = [(spec.key, spec.superseded_by) for spec, _ in file.walk() if spec.superseded_by]
    for spec, parent_key in file.walk():
        existing = session.scalar(select(Commitment).where(Commitment.key == spec.key))
        if existing is not None:
            report.commitments_kept.append(spec.key)
            change = continuity.restate(
                session,
                catalogue,
                existing,
                meeting,
                deadline=spec.deadline,
                officer=_officer(session, by_email, spec.officer, spec.key),
                now=now,
                calendar=calendar,
            )
            if change.reiterated:
                report.commitments_reiterated.append(spec.key)
            if change.amended:
                report.commitments_amended.append(spec.key)
            if references.add_from_file(session, existing, spec.refs, spec.tags):
                report.commitments_labelled.append(spec.key)
            continue
        pipeline_problem = _unknown_pipeline(catalogue, spec.pipeline)
        if pipeline_problem:
            raise NotFoundError(f"{spec.key}: {pipeline_problem}")
        officer = _officer(session, by_email, spec.officer, spec.key)
        if officer is not None and not covers(officer.jurisdiction, spec.jurisdiction):
            raise TaskforceError(
                f"{spec.key}: officer {officer.email} acts for {officer.jurisdiction} and"
                f" cannot hold an item of {spec.jurisdiction}; name an officer of"
                f" {spec.jurisdiction}"
            )
        parent = queries.get_commitment(session, parent_key) if parent_key else None
        start = spec.start or file.meeting.held_on
        commitment = workflow.create(
            session,
            catalogue,
            workflow.NewCommitment(
                key=spec.key,
                title=spec.title.en,
                title_ur=spec.title.ur,
                pipeline=spec.pipeline,
                jurisdiction=spec.jurisdiction,
                department=spec.department,
                start_date=start,
                started_at=start_of_day(start),
                officer=officer,
                meeting=meeting,
                agenda_item=spec.agenda_item,
                deadline=spec.deadline,
                parent=parent,
            ),
            actor=SYSTEM_ACTOR,
            calendar=calendar,
        )
        if spec.stage is not None:
            workflow.resume(
                session,
                catalogue,
                commitment,
                stage=spec.stage,
                fields=spec.fields,
                entered_at=start_of_day(spec.stage_entered or start),
                now=now,
                source=f"meeting {file.meeting.key}",
                calendar=calendar,
            )
        references.add_from_file(session, commitment, spec.refs, spec.tags)
        report.commitments_added.append(spec.key)
    session.flush()
    for old_key, new_key in replaced:
        if _supersede(session, catalogue, file, meeting, old_key, new_key, now, calendar):
            report.commitments_superseded.append(old_key)
    return report


def _supersede(
    session: Session,
    catalogue: Catalogue,
    file: MeetingFile,
    meeting: Meeting,
    old_key: str,
    new_key: str,
    now: datetime,
    calendar: WorkingCalendar,
) -> bool:
    """Withdraw `old_key`, replaced by `new_key`; False if it was closed already (loaded before)."""
    if session.scalar(select(Commitment.id).where(Commitment.key == new_key)) is None:
        raise NotFoundError(
            f"{old_key}: superseded_by {new_key}, but no commitment {new_key} is in this file"
            " or already loaded"
        )
    old = queries.get_commitment(session, old_key)
    if old.status != "open":
        return False
    workflow.supersede(
        session,
        catalogue,
        old,
        by=new_key,
        meeting=file.meeting.key,
        title=meeting.title,
        now=now,
        calendar=calendar,
    )
    return True


def _unknown_pipeline(catalogue: Catalogue, key: str) -> str | None:
    try:
        catalogue.latest(key)
    except NotFoundError as error:
        return error.message
    return None


def _meeting(session: Session, file: MeetingFile) -> Meeting:
    spec = file.meeting
    meeting = session.scalar(select(Meeting).where(Meeting.key == spec.key))
    if meeting is None:
        meeting = Meeting(
            key=spec.key,
            title=spec.title.en,
            title_ur=spec.title.ur,
            held_on=spec.held_on,
            chair=spec.chair,
        )
        session.add(meeting)
    return meeting


def _person(session: Session, spec: PersonSpec, report: LoadReport, *, now: datetime) -> Person:
    person = session.scalar(select(Person).where(func.lower(Person.email) == spec.email.lower()))
    if person is None:
        person = Person(email=spec.email, created_at=now, active=True)
        session.add(person)
        report.people_added.append(spec.email)
    elif (person.name, person.role, person.jurisdiction, person.department, person.language) != (
        spec.name,
        spec.role.value,
        spec.jurisdiction,
        spec.department,
        spec.language,
    ):
        report.people_updated.append(spec.email)
    person.name = spec.name
    person.role = spec.role.value
    person.jurisdiction = spec.jurisdiction
    person.department = spec.department
    person.language = spec.language
    return person


def _officer(
    session: Session, in_file: dict[str, Person], email: str | None, key: str
) -> Person | None:
    if email is None:
        return None
    person = in_file.get(email.lower())
    if person is not None:
        return person
    person = session.scalar(select(Person).where(func.lower(Person.email) == email.lower()))
    if person is None:
        raise NotFoundError(
            f"{key}: officer {email} is neither in this file's people nor already loaded;"
            " add them under people:"
        )
    return person
