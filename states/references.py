"""External references and tags: what a commitment answers to outside the task force.

A reference is `KIND:VALUE`, of four kinds the Treaty Implementation Cells report
against:

- `upr`: a Universal Periodic Review recommendation, as cycle and number:
  `upr:4/152.123` is recommendation 152.123 of the 4th cycle's working-group report.
- `treaty`: a treaty body's concluding observations and the paragraph:
  `treaty:CEDAW/C/PAK/CO/5#24` is paragraph 24 of CEDAW's 5th observations on Pakistan.
- `sdg`: a Sustainable Development Goal target, goal 1-17 dot target number or letter:
  `sdg:5.3`, `sdg:5.a`.
- `nap`: an action of a National Action Plan, by its id: `nap:HR-12`.

Each is parsed into a frozen `Reference` whose `text` is the one normalized form
stored, compared and shown (`SDG:05.3` and `sdg:5.3` are the same reference).
Tags are free lower-case words (themes, affected groups) such as `child-marriage`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator

from states.actors import Actor
from states.errors import AccessDeniedError, TaskforceError
from states.escalation import may_answer
from states.text import TextRule, preview

REFERENCE_MAX = 100
TAG_MAX = 40
# A few dozen: enough for themes and groups, few enough to read on one line.
TAGS_MAX = 30
REFS_MAX = 30

REFERENCE = TextRule(REFERENCE_MAX)
TAG = TextRule(TAG_MAX)


class ReferenceKind(StrEnum):
    """The kinds of external reference a commitment can carry."""

    UPR = "upr"
    TREATY = "treaty"
    SDG = "sdg"
    NAP = "nap"


# What each kind looks like, for messages: the form and an example.
EXPECTED: dict[ReferenceKind, str] = {
    ReferenceKind.UPR: "upr:CYCLE/PARAGRAPH.NUMBER, e.g. upr:4/152.123",
    ReferenceKind.TREATY: "treaty:DOCUMENT#PARAGRAPH, e.g. treaty:CEDAW/C/PAK/CO/5#24",
    ReferenceKind.SDG: "sdg:GOAL.TARGET (goal 1-17, target a number or a letter), e.g. sdg:5.3",
    ReferenceKind.NAP: "nap:ACTION-ID, e.g. nap:HR-12",
}

# The treaty bodies whose observations Pakistan receives; CESCR's symbols begin E/C.12.
TREATY_BODIES = ("CAT", "CCPR", "CED", "CEDAW", "CERD", "CMW", "CRC", "CRPD", "E")

_UPR = re.compile(r"^([1-9])/(\d{1,4})\.(\d{1,4})$")
_TREATY = re.compile(r"^([A-Z][A-Z0-9.\-]*(?:/[A-Z0-9.\-]+)+)#(\d{1,4})([A-Z]?)$")
_SDG = re.compile(r"^(\d{1,2})\.(?:(\d{1,2})|([A-Z]))$")
_NAP = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")
# Letters and digits of any script, joined by single hyphens.
_TAG = re.compile(r"^[^\W_]+(?:-[^\W_]+)*$")


# The normalized forms as one regular expression, for documents such as OpenAPI: whatever
# it matches, `parse_reference` accepts (it also takes other spellings of the same).
REFERENCE_PATTERN = (
    r"^(upr:[1-9]/[1-9][0-9]{0,3}\.[1-9][0-9]{0,3}"
    r"|treaty:(CAT|CCPR|CED|CEDAW|CERD|CMW|CRC|CRPD)(/[A-Z0-9.-]{1,10}){1,5}#[1-9][0-9]{0,3}[a-z]?"
    r"|sdg:([1-9]|1[0-7])\.([1-9][0-9]?|[a-z])"
    r"|nap:[A-Z][A-Z0-9]{0,9}(-[A-Z0-9]{1,6}){0,3})$"
)
TAG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class ReferenceRefusedError(TaskforceError, ValueError):
    """A reference or tag is not in a form the engine knows."""

    exit_code = 2


@dataclass(frozen=True, order=True)
class Reference:
    """One external reference, normalized: `kind` and `value` are what is stored."""

    kind: ReferenceKind
    value: str

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.value}"

    def __str__(self) -> str:
        return self.text


def parse_reference(text: str) -> Reference:
    """The reference `text` names, normalized; ReferenceRefusedError naming the kind if not."""
    problem = REFERENCE.problem(text)
    if problem:
        raise ReferenceRefusedError(f"reference {preview(text)} {problem}")
    kind_text, sep, raw = text.strip().partition(":")
    kinds = ", ".join(kind.value for kind in ReferenceKind)
    if not sep:
        raise ReferenceRefusedError(
            f"reference {preview(text)}: write it as KIND:VALUE, KIND one of {kinds} (e.g. sdg:5.3)"
        )
    try:
        kind = reference_kind(kind_text)
    except ReferenceRefusedError as error:
        raise ReferenceRefusedError(f"reference {preview(text)}: {error.message}") from None
    value = _normalized(kind, raw.strip().upper())
    if value is None:
        raise ReferenceRefusedError(
            f"{kind} reference {preview(text)} is not in the {kind} form; write {EXPECTED[kind]}"
        )
    return Reference(kind, value)


def reference_kind(text: str) -> ReferenceKind:
    """The kind `text` names (any case), or ReferenceRefusedError listing the kinds."""
    try:
        return ReferenceKind(text.strip().lower())
    except ValueError:
        kinds = ", ".join(kind.value for kind in ReferenceKind)
        raise ReferenceRefusedError(
            f"unknown kind of reference {preview(text.strip())}; the kinds are {kinds}"
        ) from None


def _normalized(kind: ReferenceKind, value: str) -> str | None:
    if kind is ReferenceKind.UPR:
        found = _UPR.match(value)
        if not found or int(found[2]) == 0 or int(found[3]) == 0:
            return None
        return f"{found[1]}/{int(found[2])}.{int(found[3])}"
    if kind is ReferenceKind.TREATY:
        found = _TREATY.match(value)
        if not found or int(found[2]) == 0:
            return None
        document = found[1]
        if document.split("/")[0] not in TREATY_BODIES:
            return None
        if document.startswith("E/") and not document.startswith("E/C.12/"):
            return None
        return f"{document}#{int(found[2])}{found[3].lower()}"
    if kind is ReferenceKind.SDG:
        found = _SDG.match(value)
        if not found or not 1 <= int(found[1]) <= 17:
            return None
        if found[2] is not None:
            target = int(found[2])
            return f"{int(found[1])}.{target}" if target >= 1 else None
        return f"{int(found[1])}.{found[3].lower()}"
    return value if _NAP.match(value) and len(value) <= 32 else None


def parse_tag(text: str) -> str:
    """`text` as a tag: lower-case, letters and digits joined by hyphens."""
    tag = text.strip().lower()
    problem = TAG.problem(tag)
    if problem:
        raise ReferenceRefusedError(f"tag {preview(text)} {problem}")
    if not _TAG.match(tag):
        raise ReferenceRefusedError(
            f"tag {preview(text)}: write one word or words joined by hyphens, in letters and"
            " digits, e.g. child-marriage"
        )
    return tag


def references(texts: Iterable[str]) -> tuple[Reference, ...]:
    """Each of `texts` parsed, repeats dropped, in order; refused past REFS_MAX."""
    found = tuple(dict.fromkeys(parse_reference(text) for text in texts))
    if len(found) > REFS_MAX:
        raise ReferenceRefusedError(
            f"{len(found)} references; a commitment carries at most {REFS_MAX}"
        )
    return found


def tags(texts: Iterable[str]) -> tuple[str, ...]:
    """Each of `texts` as a tag, repeats dropped, in order; refused past TAGS_MAX."""
    found = tuple(dict.fromkeys(parse_tag(text) for text in texts))
    if len(found) > TAGS_MAX:
        raise ReferenceRefusedError(f"{len(found)} tags; a commitment carries at most {TAGS_MAX}")
    return found


def check_count(kind: str, count: int) -> None:
    """Refuse a commitment that would carry more references or tags than allowed."""
    limit = REFS_MAX if kind == "references" else TAGS_MAX
    if count > limit:
        raise ReferenceRefusedError(
            f"that would make {count} {kind}; a commitment carries at most {limit}"
        )


def _reference_text(text: str) -> str:
    return parse_reference(text).text


# For files and requests: the normalized text, or a ValueError naming the kind.
ReferenceText = Annotated[str, AfterValidator(_reference_text)]
TagText = Annotated[str, AfterValidator(parse_tag)]


def may_label(actor: Actor, jurisdiction: str, department: str = "") -> bool:
    """Whether `actor` may change an item's references and tags: a secretary or above over it."""
    return may_answer(actor, jurisdiction, department)


def require_labeller(actor: Actor, *, key: str, jurisdiction: str, department: str) -> None:
    """Refuse unless `actor` may change the references and tags of item `key`."""
    if not may_label(actor, jurisdiction, department):
        raise AccessDeniedError(
            f"Can't change the references and tags of {key}: {actor.email} is {actor.role} for"
            f" {actor.jurisdiction}; a secretary or above over {jurisdiction} ({department})"
            " must do it"
        )
