"""A commitment's external references and tags: adding, removing, reading, grouping.

The rows are plain: `commitment_refs` (commitment_id, kind, value) and
`commitment_tags` (commitment_id, tag), each unique, holding the normalized forms
of `states/references.py`. Changes to them are not events: they say what a
commitment answers to, not how it progressed, and leave its history and version alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import Commitment, CommitmentRef, CommitmentTag
from states.references import Reference, ReferenceKind, check_count, parse_reference


@dataclass(frozen=True)
class Labels:
    """A commitment's references (as text) and tags, sorted."""

    refs: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass
class LabelChange:
    """What a change added and removed; empty lists when it changed nothing."""

    refs_added: list[str] = field(default_factory=list)
    refs_removed: list[str] = field(default_factory=list)
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.refs_added or self.refs_removed or self.tags_added or self.tags_removed)


def labels_of(session: Session, commitment: Commitment) -> Labels:
    """The references and tags `commitment` carries now, read from the tables."""
    refs = session.execute(
        select(CommitmentRef.kind, CommitmentRef.value)
        .where(CommitmentRef.commitment_id == commitment.id)
        .order_by(CommitmentRef.kind, CommitmentRef.value)
    ).all()
    tags = session.scalars(
        select(CommitmentTag.tag)
        .where(CommitmentTag.commitment_id == commitment.id)
        .order_by(CommitmentTag.tag)
    ).all()
    return Labels(refs=tuple(f"{kind}:{value}" for kind, value in refs), tags=tuple(tags))


def change(
    session: Session,
    commitment: Commitment,
    *,
    add_refs: Iterable[Reference] = (),
    remove_refs: Iterable[Reference] = (),
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
) -> LabelChange:
    """Add and remove references and tags; adding one present or removing one absent is no-op."""
    before = labels_of(session, commitment)
    result = LabelChange()
    gone_refs = {ref.text for ref in remove_refs} & set(before.refs)
    gone_tags = set(remove_tags) & set(before.tags)
    new_refs = [ref for ref in dict.fromkeys(add_refs) if ref.text not in before.refs]
    new_tags = [tag for tag in dict.fromkeys(add_tags) if tag not in before.tags]
    check_count("references", len(before.refs) - len(gone_refs) + len(new_refs))
    check_count("tags", len(before.tags) - len(gone_tags) + len(new_tags))
    for text in sorted(gone_refs):
        kind, _, value = text.partition(":")
        session.execute(
            delete(CommitmentRef).where(
                CommitmentRef.commitment_id == commitment.id,
                CommitmentRef.kind == kind,
                CommitmentRef.value == value,
            )
        )
        result.refs_removed.append(text)
    for tag in sorted(gone_tags):
        session.execute(
            delete(CommitmentTag).where(
                CommitmentTag.commitment_id == commitment.id, CommitmentTag.tag == tag
            )
        )
        result.tags_removed.append(tag)
    for ref in new_refs:
        session.add(
            CommitmentRef(commitment_id=commitment.id, kind=ref.kind.value, value=ref.value)
        )
        result.refs_added.append(ref.text)
    for tag in new_tags:
        session.add(CommitmentTag(commitment_id=commitment.id, tag=tag))
        result.tags_added.append(tag)
    session.flush()
    session.expire(commitment, ["refs", "tags"])
    return result


def add_from_file(
    session: Session, commitment: Commitment, refs: Sequence[str], tags: Sequence[str]
) -> bool:
    """Add the references and tags a meeting file gives; True if any was new.

    Loading again adds nothing, and never removes what was added since by hand.
    """
    if not refs and not tags:
        return False
    added = change(
        session, commitment, add_refs=[parse_reference(ref) for ref in refs], add_tags=tags
    )
    return added.changed


@dataclass(frozen=True)
class ReferenceProgress:
    """How the commitments answering to one reference are getting on."""

    reference: str
    keys: tuple[str, ...]
    completed: int
    open: int
    stalled: int
    closed_otherwise: int = 0

    @property
    def count(self) -> int:
        return len(self.keys)


def progress_by_reference(
    session: Session, *, kind: ReferenceKind | None, stalled_keys: Sequence[str]
) -> list[ReferenceProgress]:
    """Every reference (of `kind`, if given), with its commitments by status.

    `stalled_keys` are the open commitments past due now (the caller knows the clock).
    """
    query = (
        select(CommitmentRef.kind, CommitmentRef.value, Commitment.key, Commitment.status)
        .join(Commitment, Commitment.id == CommitmentRef.commitment_id)
        .order_by(CommitmentRef.kind, CommitmentRef.value, Commitment.key)
    )
    if kind is not None:
        query = query.where(CommitmentRef.kind == kind.value)
    stalled = set(stalled_keys)
    grouped: dict[str, list[tuple[str, str]]] = {}
    for ref_kind, value, key, status in session.execute(query):
        grouped.setdefault(f"{ref_kind}:{value}", []).append((key, status))
    return [
        ReferenceProgress(
            reference=reference,
            keys=tuple(key for key, _ in rows),
            completed=sum(status == "completed" for _, status in rows),
            open=sum(status == "open" for _, status in rows),
            stalled=sum(status == "open" and key in stalled for key, status in rows),
            closed_otherwise=sum(status in ("withdrawn", "lapsed") for _, status in rows),
        )
        for reference, rows in grouped.items()
    ]
