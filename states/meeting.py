"""The meeting file: a meeting's commitments and the people who carry them out.

Loading it is the database's job; this module only says what a valid file is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from states.actors import Role, jurisdiction_problem
from states.definition import Key
from states.districts import Districts, bundled_districts
from states.documents import Document, Loc, Problem, read_yaml, validate_and_check
from states.localtext import CommitmentTitle
from states.references import REFS_MAX, TAGS_MAX, ReferenceText, TagText
from states.text import (
    COMMITMENT_KEY_PATTERN,
    EMAIL,
    JURISDICTION,
    KEY_MAX,
    NAME,
    AgendaItem,
    Department,
    Description,
    FieldValue,
    Name,
)

CommitmentKey = Annotated[
    str, StringConstraints(pattern=COMMITMENT_KEY_PATTERN, max_length=KEY_MAX)
]
# A NUL or a line break in an address or a name would dead-letter every mail to it.
Email = Annotated[
    str,
    AfterValidator(EMAIL.validate),
    StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"),
]


def _as_text(value: object) -> object:
    # YAML reads 2026-09-01 as a date and 12 as a number; a field value is their text.
    if isinstance(value, date) or (isinstance(value, int) and not isinstance(value, bool)):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


FileFieldValue = Annotated[FieldValue, BeforeValidator(_as_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _jurisdiction(value: str) -> str:
    problem = (
        JURISDICTION.problem(value)
        or jurisdiction_problem(value)
        or bundled_districts().problem(value)
    )
    if problem:
        raise ValueError(problem)
    return value


class MeetingSpec(_Strict):
    """Which meeting the commitments were made at."""

    key: Key
    title: CommitmentTitle
    held_on: date
    chair: Annotated[str, AfterValidator(NAME.validate)] = ""
    note: Description | None = None


class PersonSpec(_Strict):
    """Someone who acts on commitments or receives their escalations."""

    email: Email
    name: Name
    role: Role
    jurisdiction: str
    department: Department
    language: Literal["en", "ur"] = "en"

    _check_jurisdiction = field_validator("jurisdiction")(_jurisdiction)


DISTRICT_PLACEHOLDER = "{district}"


class DistrictTemplate(_Strict):
    """A child for every district of its parent's province, made from the list of districts.

    The title says `{district}` where the district's name goes, in each language; the
    child's key is the parent's with the district's (DHRC-PUNJAB-DERA-GHAZI-KHAN). A
    child written out for a district (its own officer, say) is kept as written.
    """

    title: CommitmentTitle
    pipeline: Key
    department: Department
    officer: Email | None = None
    agenda_item: AgendaItem | None = None


class CommitmentSpec(_Strict):
    """A commitment to create, with any children it fans out to."""

    key: CommitmentKey
    title: CommitmentTitle
    pipeline: Key
    jurisdiction: str
    department: Department
    officer: Email | None = None
    agenda_item: AgendaItem | None = None
    start: date | None = Field(default=None, description="defaults to the meeting date")
    deadline: date | None = Field(default=None, description="overrides the pipeline's deadline")
    parent: CommitmentKey | None = Field(
        default=None, description="an existing commitment this one belongs to"
    )
    stage: Key | None = Field(
        default=None, description="for a decision already under way: the open stage it reached"
    )
    stage_entered: date | None = Field(
        default=None, description="the day it reached `stage`; defaults to its start"
    )
    fields: dict[Key, FileFieldValue] = Field(
        default_factory=dict, description="values known so far, e.g. those `stage` requires"
    )
    superseded_by: CommitmentKey | None = Field(
        default=None, description="a later meeting replaced this decision with that commitment"
    )
    refs: tuple[ReferenceText, ...] = Field(
        default=(),
        max_length=REFS_MAX,
        description="external references: upr:4/152.123, treaty:CEDAW/C/PAK/CO/5#24, sdg:5.3,"
        " nap:HR-12",
    )
    tags: tuple[TagText, ...] = Field(
        default=(), max_length=TAGS_MAX, description="free lower-case tags: themes, groups"
    )
    children: tuple[CommitmentSpec, ...] = ()
    each_district: DistrictTemplate | None = Field(
        default=None, description="a child for every district of its province"
    )

    _check_jurisdiction = field_validator("jurisdiction")(_jurisdiction)


class MeetingFile(_Strict):
    """A whole meeting file."""

    meeting: MeetingSpec
    people: tuple[PersonSpec, ...] = ()
    commitments: tuple[CommitmentSpec, ...] = ()

    def walk(self) -> Iterator[tuple[CommitmentSpec, str | None]]:
        """Every commitment, parents before children, with its parent's key."""
        stack: list[tuple[CommitmentSpec, str | None]] = [
            (spec, spec.parent) for spec in reversed(self.commitments)
        ]
        while stack:
            spec, parent = stack.pop()
            yield spec, parent
            stack += [(child, spec.key) for child in reversed(spec.children)]


def _locations(file: MeetingFile) -> Iterator[tuple[Loc, CommitmentSpec]]:
    def visit(loc: Loc, spec: CommitmentSpec) -> Iterator[tuple[Loc, CommitmentSpec]]:
        yield loc, spec
        for index, child in enumerate(spec.children):
            yield from visit((*loc, "children", index), child)

    for index, spec in enumerate(file.commitments):
        yield from visit(("commitments", index), spec)


def check_meeting(file: MeetingFile) -> list[Problem]:
    """Problems across entries: repeated keys or emails, children that name another parent."""
    problems: list[Problem] = []
    emails = Counter(person.email.lower() for person in file.people)
    for index, person in enumerate(file.people):
        if emails[person.email.lower()] > 1:
            problems.append((("people", index, "email"), f"{person.email} is listed twice"))
    located = list(_locations(file))
    keys = Counter(spec.key for _, spec in located)
    for loc, spec in located:
        if keys[spec.key] > 1:
            problems.append(((*loc, "key"), f"commitment key {spec.key} is used twice"))
        if spec.stage is None and (spec.stage_entered or spec.fields):
            given = "stage_entered" if spec.stage_entered else "fields"
            problems.append(((*loc, given), f"{given} needs stage: the stage it was loaded at"))
        start = spec.start or file.meeting.held_on
        if spec.stage_entered and spec.stage_entered < start:
            problems.append(
                (
                    (*loc, "stage_entered"),
                    f"stage_entered {spec.stage_entered} is before the commitment's start"
                    f" ({start}); give start: no later than {spec.stage_entered}",
                )
            )
        if spec.children and any(child.parent for child in spec.children):
            problems.append(
                (
                    (*loc, "children"),
                    "a nested child takes its parent from where it stands; remove its parent: line",
                )
            )
    return problems


def district_child_key(parent: str, district: str) -> str:
    """The key of `parent`'s child for `district`: DHRC-PUNJAB, punjab/dera_ghazi_khan →
    DHRC-PUNJAB-DERA-GHAZI-KHAN."""
    return f"{parent}-{district.partition('/')[2].upper().replace('_', '-')}"


def _template_problems(file: MeetingFile, districts: Districts) -> list[Problem]:
    problems: list[Problem] = []
    for loc, spec in _locations(file):
        template = spec.each_district
        if template is None:
            continue
        if spec.jurisdiction not in districts.provinces():
            listed = ", ".join(districts.provinces())
            problems.append(
                (
                    (*loc, "each_district"),
                    f"each_district needs a province whose districts are listed ({listed});"
                    f" {spec.key} is of {spec.jurisdiction}",
                )
            )
        for language, text in (("en", template.title.en), ("ur", template.title.ur)):
            if text is not None and DISTRICT_PLACEHOLDER not in text:
                problems.append(
                    (
                        (*loc, "each_district", "title", language),
                        f"the title must say {DISTRICT_PLACEHOLDER} where the district's name goes",
                    )
                )
    return problems


def _expanded(spec: CommitmentSpec, districts: Districts) -> CommitmentSpec:
    children = tuple(_expanded(child, districts) for child in spec.children)
    template = spec.each_district
    if template is None:
        return spec.model_copy(update={"children": children}) if spec.children else spec
    written = {child.jurisdiction for child in children}
    made = []
    for district in districts.in_province(spec.jurisdiction):
        if district.key in written:
            continue
        title = {"en": template.title.en.replace(DISTRICT_PLACEHOLDER, district.en)}
        if template.title.ur is not None:
            title["ur"] = template.title.ur.replace(DISTRICT_PLACEHOLDER, district.ur)
        made.append(
            CommitmentSpec.model_validate(
                {
                    "key": district_child_key(spec.key, district.key),
                    "title": title,
                    "pipeline": template.pipeline,
                    "jurisdiction": district.key,
                    "department": template.department,
                    "officer": template.officer,
                    "agenda_item": template.agenda_item or spec.agenda_item,
                    "start": spec.start,
                    "deadline": spec.deadline,
                }
            )
        )
    return spec.model_copy(update={"children": (*children, *made)})


def expand_districts(file: MeetingFile, districts: Districts | None = None) -> MeetingFile:
    """The file with every `each_district` made into its children, one per district."""
    listed = districts or bundled_districts()
    return file.model_copy(
        update={"commitments": tuple(_expanded(spec, listed) for spec in file.commitments)}
    )


def parse_meeting(document: Document) -> MeetingFile:
    """The meeting a parsed file declares, or a DefinitionError listing every problem.

    Each `each_district` is made into its children first, so they are checked (and
    loaded) as if written out.
    """
    districts = bundled_districts()

    def check(file: MeetingFile) -> list[Problem]:
        return _template_problems(file, districts) or check_meeting(
            expand_districts(file, districts)
        )

    return expand_districts(validate_and_check(MeetingFile, document, check), districts)


def load_meeting_file(path: Path) -> MeetingFile:
    return parse_meeting(read_yaml(path))
