"""The digest as its reader sees it: the stored content turned into what the templates show.

`digest_context` is pure: it adds links, puts the changes next to the items they
concern, caps very long lists and draws the chart. `compose_digest` loads the
digest an outbox message points at and renders it with the mail templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy.orm import Session

from db.digest import DigestContent, DigestItem, PausedItem, Resolved
from db.models import Digest
from notifications import formatting
from notifications.chart import BAR_COLOUR, TRACK_COLOUR, Bar, bar_chart_text, bar_rows
from notifications.render import Contact, Rendered, Renderer
from states.actors import FEDERAL
from states.errors import NotFoundError
from states.localtext import LocalText
from states.urgency import most_urgent, most_urgent_first, worst

# A chair with thousands of stalled items gets the most overdue of each department, and the
# first of each kind of change, by mail; the stored digest keeps them all.
MAX_ITEMS_PER_DEPARTMENT = 50
MAX_CHANGES_LISTED = 50
# The digest opens with this many items: the ones most in need of its reader.
MOST_URGENT_LISTED = 3

CHART_TITLE = {
    formatting.ENGLISH: "Overdue items by province",
    formatting.URDU: "صوبہ وار زیر التوا معاملات",
}


@dataclass(frozen=True)
class ItemView:
    """One stalled item, with its link and what changed about it since the last digest."""

    key: str
    title: LocalText
    link: str
    jurisdiction: str
    department: str
    stage_title: LocalText
    reason: str
    due_at: datetime
    overdue_days: int
    level: int | None
    notify: str | None
    escalated_level: int | None
    holder: Contact | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    snoozed_until: date | None
    exempt: bool
    new: bool = False
    worsened_from: int | None = None  # the level at the last digest, when it climbed since
    latest_remark: str | None = None
    latest_remark_by: str | None = None
    latest_remark_at: datetime | None = None
    waiting_on: tuple[Contact, ...] = ()  # who may take the next step, most expected first


@dataclass(frozen=True)
class DepartmentView:
    department: str
    count: int
    items: tuple[ItemView, ...]
    not_shown: int  # the least overdue, beyond the cap


@dataclass(frozen=True)
class ProvinceView:
    province: str
    count: int
    departments: tuple[DepartmentView, ...]


@dataclass(frozen=True)
class ResolvedView:
    """A stall from the last digest that has ended, and where the item stands now."""

    key: str
    title: LocalText
    link: str
    jurisdiction: str
    stage_title: LocalText
    level: int | None
    status: str | None  # None: the commitment is no longer there
    now_stage_title: LocalText | None


@dataclass(frozen=True)
class WorsenedView:
    item: ItemView
    before: int | None
    after: int | None


@dataclass(frozen=True)
class ChangesView:
    """New, resolved and worsened stalls: the first few of each, and how many there are."""

    previous_at: datetime
    new: tuple[ItemView, ...]
    resolved: tuple[ResolvedView, ...]
    worsened: tuple[WorsenedView, ...]
    new_count: int
    resolved_count: int
    worsened_count: int

    @property
    def none(self) -> bool:
        return not (self.new_count or self.resolved_count or self.worsened_count)


@dataclass(frozen=True)
class CompletedView:
    key: str
    title: LocalText
    link: str
    jurisdiction: str
    department: str
    pipeline_title: LocalText
    closed_at: datetime


@dataclass(frozen=True)
class PausedView:
    """An item whose clocks stand still (a court's stay): why, and until when."""

    key: str
    title: LocalText
    link: str
    jurisdiction: str
    stage_title: LocalText
    paused_at: datetime
    paused_until: date | None
    reason: str


def _paused_view(item: PausedItem, base_url: str) -> PausedView:
    return PausedView(
        key=item.key,
        title=item.title,
        link=commitment_link(base_url, item.key),
        jurisdiction=item.jurisdiction,
        stage_title=item.stage_title,
        paused_at=item.paused_at,
        paused_until=item.paused_until,
        reason=item.reason,
    )


@dataclass(frozen=True)
class DigestView:
    """The digest's facts: its scope, when it was made and its totals."""

    scope: str
    federal: bool
    made_at: datetime
    previous_at: datetime | None
    completed_since: datetime
    stalled: int
    snoozed: int
    exempt: int
    overdue: int
    completed: int


class DigestMessage(Protocol):
    """The parts of an outbox message a digest is composed from."""

    @property
    def digest_id(self) -> int | None: ...

    @property
    def recipient_name(self) -> str: ...

    @property
    def recipient_email(self) -> str: ...

    @property
    def language(self) -> str: ...


def commitment_link(base_url: str, key: str) -> str:
    """Where the web UI shows a commitment."""
    return f"{base_url.rstrip('/')}/commitments/{quote(key, safe='')}"


def _item_view(
    item: DigestItem,
    base_url: str,
    *,
    new: bool = False,
    worsened_from: int | None = None,
) -> ItemView:
    holder = (
        Contact(name=item.officer_name or item.officer_email, email=item.officer_email)
        if item.officer_email
        else None
    )
    return ItemView(
        key=item.key,
        title=item.title,
        link=commitment_link(base_url, item.key),
        jurisdiction=item.jurisdiction,
        department=item.department,
        stage_title=item.stage_title,
        reason=item.reason,
        due_at=item.due_at,
        overdue_days=item.overdue_days,
        level=item.level,
        notify=item.notify,
        escalated_level=item.escalated_level,
        holder=holder,
        acknowledged_by=item.acknowledged_by,
        acknowledged_at=item.acknowledged_at,
        snoozed_until=item.snoozed_until,
        exempt=item.exempt,
        new=new,
        worsened_from=worsened_from,
        latest_remark=item.latest_remark,
        latest_remark_by=item.latest_remark_by,
        latest_remark_at=item.latest_remark_at,
        waiting_on=tuple(Contact(name=p.name, email=p.email, role=p.role) for p in item.waiting_on),
    )


def _resolved_view(resolved: Resolved, base_url: str) -> ResolvedView:
    return ResolvedView(
        key=resolved.key,
        title=resolved.title,
        link=commitment_link(base_url, resolved.key),
        jurisdiction=resolved.jurisdiction,
        stage_title=resolved.stage_title,
        level=resolved.level,
        status=resolved.status,
        now_stage_title=resolved.now_stage_title,
    )


def chart_bars(content: DigestContent, language: str) -> list[Bar]:
    """One bar per province with overdue items, labelled in the reader's language."""
    return [
        Bar(label=formatting.jurisdiction(province, language), count=count)
        for province, count in content.overdue_by_province.items()
    ]


def digest_context(
    content: DigestContent,
    *,
    base_url: str,
    recipient_name: str,
    language: str,
    recipient_email: str | None = None,
    max_items_per_department: int = MAX_ITEMS_PER_DEPARTMENT,
    max_changes_listed: int = MAX_CHANGES_LISTED,
) -> dict[str, Any]:
    """What the digest templates read, in `language` (en or ur)."""
    urdu = language == formatting.URDU
    changes = content.changes
    new_keys = set(changes.new) if changes else set()
    climbed = {w.key: w for w in changes.worsened} if changes else {}

    views: dict[str, ItemView] = {}
    for item in content.overdue():
        before = climbed.get(item.key)
        views[item.key] = _item_view(
            item,
            base_url,
            new=item.key in new_keys,
            worsened_from=before.before if before else None,
        )

    def department_view(department: str, items: tuple[DigestItem, ...]) -> DepartmentView:
        ordered = sorted((views[i.key] for i in items), key=most_urgent_first)
        return DepartmentView(
            department=department,
            count=len(ordered),
            items=tuple(ordered[:max_items_per_department]),
            not_shown=max(len(ordered) - max_items_per_department, 0),
        )

    # The worst first at every level: provinces, their departments, their items.
    provinces = tuple(
        sorted(
            (
                ProvinceView(
                    province=group.province,
                    count=group.count,
                    departments=tuple(
                        sorted(
                            (department_view(d.department, d.items) for d in group.departments),
                            key=lambda d: worst(d.items),
                        )
                    ),
                )
                for group in content.groups
            ),
            key=lambda p: worst(i for d in p.departments for i in d.items),
        )
    )
    changes_view = None
    if changes:
        # Most overdue first, so a cut list keeps the ones that matter most.
        new = sorted((views[key] for key in changes.new), key=lambda v: (-v.overdue_days, v.key))
        worsened = sorted(
            (
                WorsenedView(item=views[w.key], before=w.before, after=w.after)
                for w in changes.worsened
            ),
            key=lambda w: (-(w.after or 0), -w.item.overdue_days, w.item.key),
        )
        changes_view = ChangesView(
            previous_at=changes.previous_at,
            new=tuple(new[:max_changes_listed]),
            resolved=tuple(
                _resolved_view(r, base_url) for r in changes.resolved[:max_changes_listed]
            ),
            worsened=tuple(worsened[:max_changes_listed]),
            new_count=len(changes.new),
            resolved_count=len(changes.resolved),
            worsened_count=len(changes.worsened),
        )
    bars = chart_bars(content, language)
    chart_title = CHART_TITLE.get(language, CHART_TITLE[formatting.ENGLISH])
    context: dict[str, Any] = {
        "digest": DigestView(
            scope=content.scope,
            federal=content.scope == FEDERAL,
            made_at=content.made_at,
            previous_at=content.previous_at,
            completed_since=content.completed_since,
            stalled=content.stalled,
            snoozed=content.snoozed,
            exempt=len(content.exempt),
            overdue=content.stalled + len(content.exempt),
            completed=len(content.completed),
        ),
        "most_urgent": tuple(
            most_urgent(
                (v for v in views.values() if not v.exempt),
                MOST_URGENT_LISTED,
                handled=lambda v: bool(v.snoozed_until or v.acknowledged_by),
            )
        ),
        "provinces": provinces,
        "exempt": tuple(views[item.key] for item in content.exempt),
        # Apart from the overdue: their clocks stand still, so they are not late.
        "paused": tuple(_paused_view(item, base_url) for item in content.paused),
        "changes": changes_view,
        "completed": tuple(
            CompletedView(
                key=c.key,
                title=c.title,
                link=commitment_link(base_url, c.key),
                jurisdiction=c.jurisdiction,
                department=c.department,
                pipeline_title=c.pipeline_title,
                closed_at=c.closed_at,
            )
            for c in content.completed
        ),
        "chart_title": chart_title,
        "chart_rows": bar_rows(bars),
        "chart_colours": {"bar": BAR_COLOUR, "track": TRACK_COLOUR},
        "chart_lines": bar_chart_text(bars),
        "base_url": base_url.rstrip("/"),
        "recipient_name": recipient_name,
        "rtl": urdu,
    }
    if recipient_email is not None:
        context["recipient"] = Contact(name=recipient_name, email=recipient_email)
    return context


def load_content(session: Session, digest_id: int) -> DigestContent:
    """The content of the digest `digest_id`."""
    digest = session.get(Digest, digest_id)
    if digest is None:
        raise NotFoundError(f"no digest {digest_id}; it may have been deleted after it was queued")
    return DigestContent.model_validate(digest.content)


def compose_digest(
    session: Session, message: DigestMessage, renderer: Renderer, *, base_url: str
) -> Rendered:
    """Render the digest an outbox message points at, for its recipient and language."""
    if message.digest_id is None:
        raise NotFoundError("this message names no digest (digest_id is empty)")
    content = load_content(session, message.digest_id)
    context = digest_context(
        content,
        base_url=base_url,
        recipient_name=message.recipient_name,
        recipient_email=message.recipient_email,
        language=message.language,
    )
    return renderer.render("digest", message.language, context)
