"""The list of districts: the bundled one is whole, and a broken one is refused saying where."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from states.districts import BUNDLED_DISTRICTS, bundled_districts, load_districts
from states.errors import DefinitionError
from states.meeting import PersonSpec

GOOD = """\
source:
  en: A test list
reflects: 2023-08-07
districts:
  - {key: punjab/lahore, en: Lahore, ur: لاہور}
  - {key: sindh/sukkur, en: Sukkur, ur: سکھر}
  - {key: khyber_pakhtunkhwa/swat, en: Swat, ur: سوات}
  - {key: balochistan/quetta, en: Quetta, ur: کوئٹہ}
  - {key: islamabad/islamabad, en: Islamabad Capital Territory, ur: اسلام آباد}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "districts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(DefinitionError) as caught:
        load_districts(write(tmp_path, text))
    return caught.value.message


def test_the_bundled_list_names_every_district_of_the_four_provinces_and_the_capital() -> None:
    districts = load_districts(BUNDLED_DISTRICTS)

    assert districts.counts() == {
        "punjab": 41,
        "sindh": 30,
        "khyber_pakhtunkhwa": 36,
        "balochistan": 36,
        "islamabad": 1,
    }
    assert districts.reflects == date(2023, 8, 7)
    assert "Pakistan Bureau of Statistics" in districts.source
    lahore = districts.get("punjab/lahore")
    assert lahore is not None
    assert (lahore.en, lahore.ur, lahore.slug) == ("Lahore", "لاہور", "lahore")
    assert all(district.ur and district.en for district in districts)


def test_a_small_well_formed_list_loads(tmp_path: Path) -> None:
    districts = load_districts(write(tmp_path, GOOD))

    assert [d.key for d in districts.in_province("punjab")] == ["punjab/lahore"]
    assert len(districts) == 5


def test_a_repeated_key_is_refused_at_its_line(tmp_path: Path) -> None:
    said = refused(tmp_path, GOOD + "  - {key: punjab/lahore, en: Lahore, ur: لاہور}\n")

    assert "punjab/lahore is listed twice" in said
    assert ":10:" in said


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("punjab", "is not a district key"),
        ("Punjab/Lahore", "is not a district key"),
        ("punjab/dera ghazi khan", "is not a district key"),
        ("kashmir/bagh", "lies in no province"),
    ],
)
def test_a_malformed_key_is_refused(tmp_path: Path, key: str, problem: str) -> None:
    said = refused(tmp_path, GOOD.replace("punjab/lahore", key))

    assert problem in said


def test_a_district_needs_its_urdu_name(tmp_path: Path) -> None:
    said = refused(tmp_path, GOOD.replace("ur: سکھر", "ur: Sukkur"))

    assert "sindh/sukkur needs its name in Urdu script" in said


def test_every_province_must_be_listed(tmp_path: Path) -> None:
    text = GOOD.replace("  - {key: balochistan/quetta, en: Quetta, ur: کوئٹہ}\n", "")

    assert "no district of balochistan is listed" in refused(tmp_path, text)


def test_the_list_says_what_it_reflects(tmp_path: Path) -> None:
    said = refused(tmp_path, GOOD.replace("reflects: 2023-08-07\n", ""))

    assert "reflects" in said


@pytest.mark.parametrize(
    ("jurisdiction", "said"),
    [
        ("punjab/lahor", "unknown district 'punjab/lahor'; did you mean punjab/lahore?"),
        (
            "sindh/karachi",
            "did you mean one of sindh/karachi_central, sindh/karachi_east,"
            " sindh/karachi_south, sindh/karachi_west?",
        ),
        ("punjab/atlantis", "punjab has no such district in the list of districts"),
    ],
)
def test_an_unknown_district_is_refused_with_the_nearest_names(
    jurisdiction: str, said: str
) -> None:
    assert said in (bundled_districts().problem(jurisdiction) or "")


@pytest.mark.parametrize(
    "jurisdiction", ["federal", "punjab", "punjab/lahore", "gilgit_baltistan/hunza"]
)
def test_provinces_listed_districts_and_unlisted_regions_pass(jurisdiction: str) -> None:
    assert bundled_districts().problem(jurisdiction) is None


def test_a_meeting_files_person_in_an_unknown_district_is_refused() -> None:
    person = {
        "email": "dc@example.org",
        "name": "A deputy commissioner",
        "role": "deputy_commissioner",
        "department": "district_administration",
    }
    PersonSpec.model_validate({**person, "jurisdiction": "punjab/multan"})
    with pytest.raises(ValueError, match="did you mean punjab/multan"):
        PersonSpec.model_validate({**person, "jurisdiction": "punjab/multn"})
