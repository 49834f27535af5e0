"""`taskforce refs`: a commitment's external references and tags, and progress by reference."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Column, Table

from db import people, queries, references
from db.engine import transaction
from states.references import parse_reference, parse_tag, reference_kind, require_labeller
from taskforce.console import JsonOption, emit_json, now, opened, out

RefOption = Annotated[list[str] | None, typer.Option(help="A reference, e.g. sdg:5.3; repeatable.")]
TagOption = Annotated[
    list[str] | None, typer.Option(help="A tag, e.g. child-marriage; repeatable.")
]


def refs(
    key: Annotated[str, typer.Argument(help="The commitment's key, e.g. CMB-PUNJAB.")],
    as_: Annotated[
        str, typer.Option("--as", help="Your email: a secretary or above over the item.")
    ],
    add: RefOption = None,
    remove: RefOption = None,
    tag: TagOption = None,
    untag: TagOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or change a commitment's references (upr, treaty, sdg, nap) and tags.

    Changes are not events: the history shows how the item progressed, not how it was filed.
    """
    # Every reference and tag is checked before anything opens.
    add_refs = [parse_reference(text) for text in add or ()]
    remove_refs = [parse_reference(text) for text in remove or ()]
    add_tags = [parse_tag(text) for text in tag or ()]
    remove_tags = [parse_tag(text) for text in untag or ()]
    with opened() as application, transaction(application.sessions) as session:
        commitment = queries.get_commitment(session, key)
        actor = people.actor_for(people.by_email(session, as_))
        changing = add_refs or remove_refs or add_tags or remove_tags
        change = references.LabelChange()
        if changing:
            require_labeller(
                actor,
                key=commitment.key,
                jurisdiction=commitment.jurisdiction,
                department=commitment.department,
            )
            change = references.change(
                session,
                commitment,
                add_refs=add_refs,
                remove_refs=remove_refs,
                add_tags=add_tags,
                remove_tags=remove_tags,
            )
        labels = references.labels_of(session, commitment)
        record = {
            "key": commitment.key,
            "refs": list(labels.refs),
            "tags": list(labels.tags),
            "added": change.refs_added + change.tags_added,
            "removed": change.refs_removed + change.tags_removed,
        }
    if as_json:
        emit_json(record)
        return
    if changing and not change.changed:
        out.print(f"{record['key']}: nothing changed")
    for word in ("added", "removed"):
        if record[word]:
            out.print(f"{record['key']}: {word} {', '.join(record[word])}", markup=False)
    out.print(f"{record['key']} references: {', '.join(record['refs']) or '(none)'}", markup=False)
    out.print(f"{record['key']} tags: {', '.join(record['tags']) or '(none)'}", markup=False)


def refs_report(
    kind: Annotated[
        str | None, typer.Option(help="Only references of this kind: upr, treaty, sdg or nap.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Progress by reference: for each, how many items, completed, open and stalled, and keys."""
    only = reference_kind(kind) if kind is not None else None
    with opened() as application, transaction(application.sessions) as session:
        stalled = queries.list_commitments(session, queries.CommitmentFilter(due_by=now()))
        rows = references.progress_by_reference(
            session, kind=only, stalled_keys=[c.key for c in stalled]
        )
    records: list[dict[str, Any]] = [
        {
            "reference": row.reference,
            "commitments": row.count,
            "completed": row.completed,
            "open": row.open,
            "stalled": row.stalled,
            "withdrawn_or_lapsed": row.closed_otherwise,
            "keys": list(row.keys),
        }
        for row in rows
    ]
    if as_json:
        emit_json(records)
        return
    table = Table(
        Column("Reference", no_wrap=True),
        "Items",
        "Completed",
        "Open",
        "Stalled",
        Column("Keys", min_width=18, overflow="fold"),
        title=f"Progress by reference ({len(records)})",
    )
    for record in records:
        table.add_row(
            record["reference"],
            str(record["commitments"]),
            str(record["completed"]),
            str(record["open"]),
            str(record["stalled"]),
            ", ".join(record["keys"]),
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add `refs` to the `taskforce` command line."""
    app.command("refs")(refs)
