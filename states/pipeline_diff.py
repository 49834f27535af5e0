"""What changed between two versions of a pipeline, part by part.

Before moving running commitments to a new version, the secretariat reads what the
new version changes: stages added or removed, an owner or time limit changed, an
action that now starts elsewhere. Stages, actions, fields and ladder rungs are
matched by their keys (a rung by its level); everything else is a setting of the
pipeline. Values are compared as the pipeline file writes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from states.definition import Pipeline

# Compared part by part below, not as settings of the pipeline.
_PARTS = {"stages", "transitions", "fields", "ladder"}
# What identifies a pipeline, never a change between two versions of it.
_IDENTITY = {"key", "version"}


class Part(StrEnum):
    """The part of a pipeline a change is in."""

    SETTING = "setting"
    STAGE = "stage"
    ACTION = "action"
    FIELD = "field"
    RUNG = "rung"


class Kind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Detail:
    """One attribute of a changed part: its value before and after (None: not set)."""

    name: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    """A part added, removed or changed; a changed one lists what changed in it."""

    part: Part
    key: str
    kind: Kind
    details: tuple[Detail, ...] = ()

    def as_record(self) -> dict[str, Any]:
        return {
            "part": str(self.part),
            "key": self.key,
            "change": str(self.kind),
            "details": [
                {"name": d.name, "before": d.before, "after": d.after} for d in self.details
            ],
        }


def diff(before: Pipeline, after: Pipeline) -> list[Change]:
    """The changes from `before` to `after`: settings, then stages, actions, fields and rungs,
    each in the order of `after` with removed parts last."""
    old = before.model_dump(mode="json", by_alias=True, exclude_none=True)
    new = after.model_dump(mode="json", by_alias=True, exclude_none=True)
    settings = [
        Change(Part.SETTING, name, Kind.CHANGED, (Detail(name, old.get(name), new.get(name)),))
        for name in _ordered_names(old, new)
        if name not in _PARTS | _IDENTITY and old.get(name) != new.get(name)
    ]
    return [
        *settings,
        *_keyed(Part.STAGE, _by(old["stages"], "key"), _by(new["stages"], "key")),
        *_keyed(Part.ACTION, _by(old["transitions"], "action"), _by(new["transitions"], "action")),
        *_keyed(Part.FIELD, old["fields"], new["fields"]),
        *_keyed(Part.RUNG, _by(old["ladder"], "level"), _by(new["ladder"], "level")),
    ]


def _by(items: Iterable[Mapping[str, Any]], name: str) -> dict[str, Mapping[str, Any]]:
    return {str(item[name]): item for item in items}


def _ordered_names(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [*new, *(name for name in old if name not in new)]


def _keyed(
    part: Part, old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> list[Change]:
    changes = []
    for key in _ordered_names(old, new):
        if key not in old:
            changes.append(Change(part, key, Kind.ADDED))
        elif key not in new:
            changes.append(Change(part, key, Kind.REMOVED))
        elif old[key] != new[key]:
            details = tuple(
                Detail(name, old[key].get(name), new[key].get(name))
                for name in _ordered_names(old[key], new[key])
                if old[key].get(name) != new[key].get(name)
            )
            changes.append(Change(part, key, Kind.CHANGED, details))
    return changes
