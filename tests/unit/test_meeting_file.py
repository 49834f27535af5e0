"""The meeting file: what a valid one yields, and how a broken one is refused."""

from __future__ import annotations

from datetime import date

import pytest

from states.actors import Role
from states.documents import parse_yaml
from states.errors import DefinitionError
from states.meeting import MeetingFile, parse_meeting

VALID = """\
meeting:
  key: tf_2026_06
  title: Task force, June 2026
  held_on: 2026-06-12
people:
  - email: officer@punjab.gov.pk
    name: Punjab officer
    role: officer
    jurisdiction: punjab/lahore
    department: Women Development
commitments:
  - key: CMR-1
    title: Child marriage restraint bills
    pipeline: fan_out
    jurisdiction: federal
    department: Human Rights
    children:
      - key: CMR-1-PB
        title: Punjab bill
        pipeline: provincial_bill
        jurisdiction: punjab
        department: Law
        children:
          - key: CMR-1-PB-LHR
            title: Lahore awareness
            pipeline: ruling_distribution
            jurisdiction: punjab/lahore
            department: Social Welfare
      - key: CMR-1-SD
        title: Sindh bill
        pipeline: provincial_bill
        jurisdiction: sindh
        department: Law
  - key: PCSW-2
    title: Commission members
    pipeline: commission_appointment
    jurisdiction: khyber_pakhtunkhwa
    department: Women Development
    parent: OLD-7
"""


def parse(text: str) -> MeetingFile:
    return parse_meeting(parse_yaml(text, "meeting.yaml"))


def refuse(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        parse(text)
    return caught.value


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line ending with `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if line.endswith(needle)]
    return hits[occurrence - 1]


def test_valid_file_walks_parents_before_children() -> None:
    meeting = parse(VALID)
    assert meeting.meeting.held_on == date(2026, 6, 12)
    assert meeting.people[0].role is Role.OFFICER
    assert [(spec.key, parent) for spec, parent in meeting.walk()] == [
        ("CMR-1", None),
        ("CMR-1-PB", "CMR-1"),
        ("CMR-1-PB-LHR", "CMR-1-PB"),
        ("CMR-1-SD", "CMR-1"),
        ("PCSW-2", "OLD-7"),
    ]


def test_duplicate_commitment_key_is_refused_where_it_occurs() -> None:
    text = VALID.replace("key: CMR-1-SD", "key: CMR-1-PB")
    error = refuse(text)
    first = f"meeting.yaml:{line_of(text, 'key: CMR-1-PB', 1)}: commitments[0].children[0].key:"
    second = f"meeting.yaml:{line_of(text, 'key: CMR-1-PB', 2)}: commitments[0].children[1].key:"
    assert first in error.message
    assert second in error.message
    assert "commitment key CMR-1-PB is used twice" in error.message
    assert len(error.findings) == 2


def test_nested_child_may_not_name_its_own_parent() -> None:
    text = VALID.replace(
        "        jurisdiction: sindh\n", "        jurisdiction: sindh\n        parent: OLD-1\n"
    )
    error = refuse(text)
    assert "commitments[0].children:" in error.message
    assert "remove its parent: line" in error.message


@pytest.mark.parametrize("place", ["lahore", "Punjab", "kpk", "federal/islamabad"])
def test_unknown_jurisdiction_is_refused_with_the_allowed_ones(place: str) -> None:
    text = VALID.replace("    jurisdiction: khyber_pakhtunkhwa", f"    jurisdiction: {place}")
    error = refuse(text)
    where = f"meeting.yaml:{line_of(text, f'jurisdiction: {place}')}: commitments[1].jurisdiction:"
    assert where in error.message
    assert f"unknown jurisdiction {place!r}" in error.message
    assert "use one of federal, punjab, sindh, khyber_pakhtunkhwa, balochistan" in error.message
    assert "or PROVINCE/district" in error.message


def test_malformed_district_is_refused() -> None:
    text = VALID.replace(
        "jurisdiction: punjab/lahore\n    department",
        "jurisdiction: punjab/Lahore City\n    department",
    )
    error = refuse(text)
    assert f"meeting.yaml:{line_of(text, 'Lahore City')}: people[0].jurisdiction:" in error.message
    assert "lower-case letters, digits and underscores" in error.message


@pytest.mark.parametrize("bad", ["cmr-1", "CMR_1", "CMR--1", "1CMR", "CMR-"])
def test_badly_formed_commitment_key_is_refused(bad: str) -> None:
    text = VALID.replace("  - key: PCSW-2", f"  - key: {bad}")
    error = refuse(text)
    assert f"meeting.yaml:{line_of(text, f'key: {bad}')}: commitments[1].key:" in error.message
    assert "should match pattern" in error.message
    assert repr(bad) in error.message


def test_person_listed_twice_is_refused() -> None:
    person = VALID[VALID.index("  - email:") : VALID.index("commitments:")]
    text = VALID.replace(person, person + person.replace("officer@", "OFFICER@"))
    error = refuse(text)
    assert "people[1].email: OFFICER@punjab.gov.pk is listed twice" in error.message


def test_unknown_key_in_a_commitment_lists_the_allowed_ones() -> None:
    text = VALID.replace("    parent: OLD-7", "    parnet: OLD-7")
    error = refuse(text)
    assert f"meeting.yaml:{line_of(text, 'parnet: OLD-7')}: commitments[1].parnet:" in error.message
    assert "unknown key 'parnet'; allowed here:" in error.message
    assert "parent" in error.message.split("allowed here:")[1]


EACH_DISTRICT = """\
meeting:
  key: tf_2026_06
  title: Task force, June 2026
  held_on: 2026-06-12
commitments:
  - key: DHRC-SINDH
    title: District committees in Sindh
    pipeline: committee_activation
    jurisdiction: sindh
    department: human_rights
    agenda_item: "4"
    each_district:
      title:
        en: "The committee in {district}"
        ur: "{district} کی کمیٹی"
      pipeline: committee_activation
      department: human_rights
    children:
      - key: DHRC-SINDH-SUKKUR
        title: Sukkur's committee, written out
        pipeline: committee_activation
        jurisdiction: sindh/sukkur
        department: human_rights
"""


def test_each_district_gives_a_child_for_every_listed_district_of_the_province() -> None:
    children = {
        spec.key: spec for spec, parent in parse(EACH_DISTRICT).walk() if parent == "DHRC-SINDH"
    }

    assert len(children) == 30
    badin = children["DHRC-SINDH-BADIN"]
    assert (badin.jurisdiction, badin.title.en, badin.title.ur) == (
        "sindh/badin",
        "The committee in Badin",
        "بدین کی کمیٹی",
    )
    assert badin.agenda_item == "4"
    assert "DHRC-SINDH-KARACHI-CENTRAL" in children
    # A district written out is kept as written, not made twice.
    assert children["DHRC-SINDH-SUKKUR"].title.en == "Sukkur's committee, written out"


def test_each_district_needs_a_province_and_the_districts_name_in_its_title() -> None:
    said = refuse(
        EACH_DISTRICT.replace("jurisdiction: sindh\n", "jurisdiction: federal\n").replace(
            'en: "The committee in {district}"', 'en: "The committee"'
        )
    ).message

    assert "each_district needs a province whose districts are listed" in said
    assert "the title must say {district}" in said
