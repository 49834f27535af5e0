"""The tables: people, pipeline versions, meetings, commitments and their event log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from db.types import UTCDateTime
from states import references, text
from states.localtext import LocalText

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Person(Base):
    """Someone who acts on commitments or receives their escalations."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(text.EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(text.NAME_MAX))
    role: Mapped[str] = mapped_column(String(32))
    jurisdiction: Mapped[str] = mapped_column(String(text.JURISDICTION_MAX))
    department: Mapped[str] = mapped_column(String(text.DEPARTMENT_MAX))
    # The language of the person's mail (from the people file); the pages follow it
    # unless the person chose another for them (page_language).
    language: Mapped[str] = mapped_column(String(8), default="en")
    page_language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Signing in to the web: an argon2 hash, never the password; None until one is set.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Changing the password signs out every browser that signed in with the old one.
    password_changed_at: Mapped[datetime | None]
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # Every browser session carries the generation it began in: signing out, a new password
    # or being made inactive moves it on, and every cookie issued before stops working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the person last opened "Needs you": what changed since is marked there.
    attention_seen_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("language IN ('en', 'ur')", name="language"),
        Index(None, "role", "jurisdiction"),
    )

    @validates("active")
    def _end_sessions_when_made_inactive(self, _key: str, active: bool) -> bool:
        # Made inactive: the sessions end for good, even if the person is made active again.
        if self.active and not active:
            self.session_generation = (self.session_generation or 0) + 1
        return active


class PipelineVersion(Base):
    """A pipeline definition as it was registered: commitments keep the version they started on."""

    __tablename__ = "pipeline_versions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(text.PIPELINE_TITLE_MAX))
    checksum: Mapped[str] = mapped_column(String(64))
    definition: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(500))
    registered_at: Mapped[datetime]


class PipelineSource(Base):
    """Pipeline files, with the rules that read them, whose every version is registered.

    Its digest lets each command skip re-reading files that have not changed.
    """

    __tablename__ = "pipeline_sources"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    registered_at: Mapped[datetime]


class Meeting(Base):
    """A task force meeting whose decisions became commitments."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(text.KEY_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(text.TITLE_MAX))
    title_ur: Mapped[str | None] = mapped_column(String(text.TITLE_MAX))
    held_on: Mapped[date] = mapped_column(Date)
    chair: Mapped[str] = mapped_column(String(text.NAME_MAX), default="")

    @property
    def local_title(self) -> LocalText:
        """The title in English and, when the meeting file gave one, in Urdu."""
        return LocalText(en=self.title, ur=self.title_ur or None)


class Commitment(Base):
    """A decision being carried out, one stage of its pipeline at a time.

    `version` is the optimistic lock: every update checks and bumps it, so two
    writers working from the same read cannot both win.
    """

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(text.KEY_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(text.TITLE_MAX))
    title_ur: Mapped[str | None] = mapped_column(String(text.TITLE_MAX))
    pipeline_key: Mapped[str] = mapped_column(String(64))
    pipeline_version: Mapped[int] = mapped_column(Integer)
    jurisdiction: Mapped[str] = mapped_column(String(text.JURISDICTION_MAX))
    department: Mapped[str] = mapped_column(String(text.DEPARTMENT_MAX))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    agenda_item: Mapped[str | None] = mapped_column(String(text.AGENDA_ITEM_MAX))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"))
    stage: Mapped[str] = mapped_column(String(64))
    stage_entered_at: Mapped[datetime]
    start_date: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(
        doc="when the commitment becomes overdue where it stands; None once closed"
    )
    # The seq of the event that brought it into its stage: a stall episode's identity.
    stage_seq: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    # Its clocks stand still from `paused_at` (a court's stay, a prorogued assembly) until
    # resumed, by hand or at the end of `paused_until`; the time they stood still is
    # credited to the current stage's clock and to the deadline's (states/pausing.py).
    paused_at: Mapped[datetime | None]
    paused_until: Mapped[date | None] = mapped_column(Date)
    stage_paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deadline_paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    exempt: Mapped[bool] = mapped_column(default=False, server_default=false())
    # What the current stall episode's escalations say, kept where "Needs you" reads it by
    # index instead of grouping every escalation: the highest rung escalated (0: none), and
    # whether every rung escalated was acknowledged (False while none was). Written only by
    # `db.rungs.refresh` (after a sweep or an answer) and reset by every move.
    escalated_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    answered: Mapped[bool] = mapped_column(default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    officer: Mapped[Person | None] = relationship(lazy="joined")
    meeting: Mapped[Meeting | None] = relationship(lazy="joined")
    parent: Mapped[Commitment | None] = relationship(remote_side=[id], lazy="raise")
    # Read here, written only by db/references.py; lists load them for a page at once.
    refs: Mapped[list[CommitmentRef]] = relationship(
        viewonly=True, order_by=lambda: (CommitmentRef.kind, CommitmentRef.value)
    )
    tags: Mapped[list[CommitmentTag]] = relationship(viewonly=True, order_by="CommitmentTag.tag")

    @property
    def local_title(self) -> LocalText:
        """The title in English and, when the meeting file gave one, in Urdu."""
        return LocalText(en=self.title, ur=self.title_ur or None)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        ForeignKeyConstraint(
            ["pipeline_key", "pipeline_version"],
            ["pipeline_versions.key", "pipeline_versions.version"],
        ),
        CheckConstraint("status IN ('open', 'completed', 'withdrawn', 'lapsed')", name="status"),
        Index(None, "status", "pipeline_key"),
        Index(None, "jurisdiction"),
        Index(None, "parent_id"),
        # The sweep reads only open commitments already due: its cost follows the stalled count.
        Index(None, "status", "due_at"),
        # Pages read by keyset in the urgency order (states/paging.py): the board, the API,
        # and "My items" for overseers (all open items) and for holders (by officer).
        Index(None, "status", "due_at", "key"),
        Index(None, "officer_id", "status", "due_at", "key"),
        # The few items someone has handled, found without reading the many waiting ones.
        # Not led by the status, which would make them rivals of the index above.
        Index(None, "answered", "status"),
        Index(None, "exempt", "status"),
        Index(None, "snoozed_until", "status"),
    )


# "Needs you" by index: the highest rung escalated first, then the longest overdue, then the key.
# The rung leads: the sweep's and the digest's reads by status and due time keep their own
# index, and the status, fixed to 'open' by the query, does not disturb the order.
Index(
    "ix_commitments_needs_order",
    Commitment.escalated_level.desc(),
    Commitment.status,
    Commitment.due_at,
    Commitment.key,
)


def _recorded_at(context: Any) -> Any:
    """An event not dated otherwise took effect when it was recorded."""
    return context.get_current_parameters()["at"]


class Event(Base):
    """One entry of a commitment's append-only history (triggers refuse edits)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]  # when it was recorded
    # When it happened: the moment a move or answer took effect, `at` unless dated earlier.
    effective_at: Mapped[datetime] = mapped_column(default=_recorded_at)
    actor_email: Mapped[str] = mapped_column(String(254))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str | None] = mapped_column(String(64))
    from_stage: Mapped[str | None] = mapped_column(String(64))
    to_stage: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("commitment_id", "seq"),)


class Escalation(Base):
    """One rung of the ladder reached by one stall episode; level 0 is the reminder before due.

    The unique constraint is what makes escalation exactly-once: two sweeps at
    once, or a sweep rerun after a crash, cannot record the same rung twice.
    """

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"))
    stage_seq: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    overdue_days: Mapped[int] = mapped_column(Integer)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    missing_role: Mapped[str | None] = mapped_column(String(32))
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(254))

    __table_args__ = (
        UniqueConstraint("commitment_id", "stage_seq", "level"),
        Index(None, "created_at"),
    )


class EscalationRecipient(Base):
    """Who an escalation was mailed to, one row each: "escalated to me" is an index lookup
    instead of a search through every escalation's list of recipients."""

    __tablename__ = "escalation_recipients"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    """Lower case, as the lookup compares it."""
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), primary_key=True)
    stage_seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)


class Nudge(Base):
    """A reminder sent to whoever must act on a commitment: at most one a day per commitment.

    The unique key, not a check in Python, stops a double click (or two overseers at
    once) from sending the reminder twice.
    """

    __tablename__ = "nudges"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"))
    day: Mapped[date] = mapped_column(Date)
    sent_by: Mapped[str] = mapped_column(String(254))
    sent_to: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("commitment_id", "day"),)


class OutboxMessage(Base):
    """A message waiting to be delivered, written in the transaction that caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    kind: Mapped[str] = mapped_column(String(32))
    recipient_email: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"))
    # When a pending message may next be tried (backoff after a temporary failure).
    next_attempt_at: Mapped[datetime | None]
    # A worker that claimed the message holds it until then; a crash releases it.
    claimed_until: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("escalation_id", "recipient_email"),
        CheckConstraint("status IN ('pending', 'sent', 'dead')", name="status"),
        Index(None, "status", "id"),
        Index(None, "status", "next_attempt_at"),
    )


class Digest(Base):
    """A digest of stalled items built for one reader and scope, kept to compare the next one to."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(100), doc="federal (everything) or a province")
    recipient_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]
    since: Mapped[datetime | None] = mapped_column(doc="when the digest it compares with was made")
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index(None, "scope", "recipient_email", "created_at"),)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is kept, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()


class InstanceSecret(Base):
    """Secrets the installation makes for itself (the cookie signing key), shared by workers,
    and the fingerprint of the working calendar last applied (db/rescheduling.py)."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Evidence(Base):
    """A file kept as evidence, once however often it is attached: its SHA-256 is its key."""

    __tablename__ = "evidence"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(doc="when it was first attached")
    uploaded_by: Mapped[str] = mapped_column(String(254), doc="who first attached it")


class EventEvidence(Base):
    """A file attached to one event, under the name it was given; append-only like events."""

    __tablename__ = "event_evidence"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence.sha256"))
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index(None, "sha256"),)


class PersonChange(Base):
    """One change to a person (added, updated, deactivated, given an acting charge), and by whom."""

    __tablename__ = "person_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    actor_email: Mapped[str] = mapped_column(String(text.EMAIL_MAX))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(None, "person_id", "at"),)


class ActingCharge(Base):
    """`person` holds `for_person`'s charge from `starts_on` through `until` (Pakistan days)."""

    __tablename__ = "acting_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    for_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(text.EMAIL_MAX))

    __table_args__ = (
        CheckConstraint("until >= starts_on", name="until_after_start"),
        Index(None, "for_person_id", "until"),
        Index(None, "person_id", "until"),
    )


class CommitmentMeeting(Base):
    """A later meeting that restated a commitment (reiterated, amended or superseded it)."""

    __tablename__ = "commitment_meetings"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    linked_at: Mapped[datetime]


class CommitmentRef(Base):
    """An external reference a commitment answers to (states/references.py), normalized."""

    __tablename__ = "commitment_refs"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(references.REFERENCE_MAX), primary_key=True)

    __table_args__ = (Index(None, "kind", "value"),)

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.value}"


class CommitmentTag(Base):
    """A free tag on a commitment: a theme or an affected group, lower-case."""

    __tablename__ = "commitment_tags"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(references.TAG_MAX), primary_key=True)

    __table_args__ = (Index(None, "tag"),)


class AssemblyEvent(Base):
    """A provincial assembly dissolved, prorogued or summoned (states/assembly.py), and by whom.

    Written by db/assembly.py in the transaction that applies it to the bills pending there.
    The constraints, not a check in Python, record each event once: the same kind on the
    same day once per province, and one event per place in a province's sequence, so two
    events recorded at once cannot both follow the same last one.
    """

    __tablename__ = "assembly_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(text.JURISDICTION_MAX))
    # Its place in the province's assembly history: 1, 2, 3 ...
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date, doc="the day it took effect")
    reason: Mapped[str | None] = mapped_column(Text, doc="e.g. the Governor's order")
    actor_email: Mapped[str] = mapped_column(String(text.EMAIL_MAX))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]  # when it was recorded
    # What it did: the keys moved, paused or resumed, and those left as they were and why.
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        CheckConstraint("kind IN ('dissolved', 'prorogued', 'summoned')", name="kind"),
        UniqueConstraint("province", "kind", "effective_on"),
        UniqueConstraint("province", "seq"),
    )
