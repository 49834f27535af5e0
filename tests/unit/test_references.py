"""External references and tags: each kind's form, normalized or refused naming the kind."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.actors import Actor, Role
from states.documents import parse_yaml
from states.errors import AccessDeniedError, DefinitionError
from states.meeting import parse_meeting
from states.references import (
    REFERENCE_PATTERN,
    TAG_MAX,
    TAG_PATTERN,
    TAGS_MAX,
    Reference,
    ReferenceKind,
    ReferenceRefusedError,
    parse_reference,
    parse_tag,
    require_labeller,
    tags,
)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("upr:4/152.123", ReferenceKind.UPR, "4/152.123"),
        ("upr:3/152.01", ReferenceKind.UPR, "3/152.1"),
        ("treaty:CEDAW/C/PAK/CO/5#24", ReferenceKind.TREATY, "CEDAW/C/PAK/CO/5#24"),
        ("treaty:crc/c/pak/co/5-6#39", ReferenceKind.TREATY, "CRC/C/PAK/CO/5-6#39"),
        ("treaty:E/C.12/PAK/CO/1#12", ReferenceKind.TREATY, "E/C.12/PAK/CO/1#12"),
        ("sdg:5.3", ReferenceKind.SDG, "5.3"),
        ("SDG:05.3", ReferenceKind.SDG, "5.3"),
        ("sdg:16.A", ReferenceKind.SDG, "16.a"),
        ("sdg:17.19", ReferenceKind.SDG, "17.19"),
        ("nap:HR-12", ReferenceKind.NAP, "HR-12"),
        ("nap:hr-12", ReferenceKind.NAP, "HR-12"),
    ],
)
def test_each_kind_is_read_into_one_normalized_form(
    text: str, kind: ReferenceKind, value: str
) -> None:
    reference = parse_reference(text)
    assert reference == Reference(kind, value)
    assert parse_reference(reference.text) == reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("upr:152.123", "upr reference 'upr:152.123' is not in the upr form; write upr:CYCLE/"),
        ("upr:3/ 152.1", "is not in the upr form"),
        ("upr:0/152.1", "write upr:CYCLE/PARAGRAPH.NUMBER, e.g. upr:4/152.123"),
        ("treaty:CEDAW/C/PAK/CO/5", "write treaty:DOCUMENT#PARAGRAPH, e.g. treaty:CEDAW/C/PAK/"),
        ("treaty:XYZ/C/PAK/CO/1#3", "treaty reference 'treaty:XYZ/C/PAK/CO/1#3' is not in"),
        ("treaty:CEDAW/C/PAK/CO/5#0", "is not in the treaty form"),
        ("sdg:18.1", "write sdg:GOAL.TARGET (goal 1-17, target a number or a letter)"),
        ("sdg:0.1", "is not in the sdg form"),
        ("sdg:5", "is not in the sdg form"),
        ("sdg:5.0", "is not in the sdg form"),
        ("nap:HR 12", "write nap:ACTION-ID, e.g. nap:HR-12"),
        ("nap:-12", "is not in the nap form"),
        ("5.3", "write it as KIND:VALUE, KIND one of upr, treaty, sdg, nap"),
        ("goal:5.3", "reference 'goal:5.3': unknown kind of reference 'goal'; the kinds are upr,"),
        ("sdg:5.3\x00", "contains a control character (U+0000"),
    ],
)
def test_a_malformed_reference_is_refused_naming_the_kind_and_form(
    text: str, expected: str
) -> None:
    with pytest.raises(ReferenceRefusedError) as caught:
        parse_reference(text)
    assert expected in caught.value.message
    assert "\n" not in caught.value.message


def test_tags_are_lower_case_words_joined_by_hyphens() -> None:
    assert parse_tag(" Child-Marriage ") == "child-marriage"
    assert parse_tag("اقلیتیں") == "اقلیتیں"
    for bad in ("child marriage", "child_marriage", "-women", "a--b", "", "x" * 41):
        with pytest.raises(ReferenceRefusedError, match="tag"):
            parse_tag(bad)
    assert tags(["women", "Women", "girls"]) == ("women", "girls")
    with pytest.raises(ReferenceRefusedError, match=f"at most {TAGS_MAX}"):
        tags(f"t{n}" for n in range(TAGS_MAX + 1))


def test_only_a_secretary_or_above_over_the_item_may_change_its_references() -> None:
    item = {"key": "CMB-PUNJAB", "jurisdiction": "punjab", "department": "law"}
    require_labeller(Actor("s@x.org", Role.SECRETARY, "punjab", department="law"), **item)
    require_labeller(Actor("c@x.org", Role.CHAIR, "federal"), **item)
    for actor in (
        Actor("o@x.org", Role.OFFICER, "punjab", department="law"),
        Actor("s@x.org", Role.SECRETARY, "sindh", department="law"),
    ):
        with pytest.raises(AccessDeniedError, match="a secretary or above over punjab"):
            require_labeller(actor, **item)


MEETING = """\
meeting:
  key: tf_refs
  title: Task force
  held_on: 2026-06-12
commitments:
  - key: CMB-1
    title: Child marriage bill
    pipeline: provincial_bill
    jurisdiction: punjab
    department: Law
    refs: [sdg:5.3, "treaty:CEDAW/C/PAK/CO/5#24"]
    tags: [Child-Marriage]
  - key: CMB-2
    title: Another bill
    pipeline: provincial_bill
    jurisdiction: sindh
    department: Law
    refs:
      - sdg:5.3
      - sdg:18.2
"""


def test_the_meeting_file_carries_refs_and_tags_and_names_the_line_of_a_bad_one() -> None:
    good = MEETING.split("  - key: CMB-2")[0]
    (spec,) = parse_meeting(parse_yaml(good, "meeting.yaml")).commitments
    assert spec.refs == ("sdg:5.3", "treaty:CEDAW/C/PAK/CO/5#24")
    assert spec.tags == ("child-marriage",)
    with pytest.raises(DefinitionError) as caught:
        parse_meeting(parse_yaml(MEETING, "meeting.yaml"))
    line = MEETING.splitlines().index("      - sdg:18.2") + 1
    assert caught.value.message.startswith(
        f"meeting.yaml:{line}: commitments[1].refs[1]: sdg reference 'sdg:18.2' is not in the"
        " sdg form; write sdg:GOAL.TARGET"
    )


@settings(max_examples=50)
@given(st.from_regex(REFERENCE_PATTERN, fullmatch=True))
def test_every_reference_the_api_documents_is_accepted_as_it_is_written(text: str) -> None:
    assert parse_reference(text).text == text


@settings(max_examples=50)
@given(st.from_regex(TAG_PATTERN, fullmatch=True).filter(lambda tag: len(tag) <= TAG_MAX))
def test_every_tag_the_api_documents_is_accepted_as_it_is_written(text: str) -> None:
    assert parse_tag(text) == text
