"""The districts of Pakistan's provinces: a checked list the rules read.

The list is data (states/data/districts.yaml): each district's key as a
jurisdiction writes it (`punjab/lahore`), its English and Urdu names, and where
the list comes from and the date it reflects. Loading checks that every key is
well formed and named once, that every province the list must cover is in it,
and that every district has its Urdu name. Pure: the caller names the file, or
takes the bundled one.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from states.actors import PROVINCES, province_of
from states.documents import Problem, read_yaml, validate_and_check
from states.text import NAME

BUNDLED_DISTRICTS = Path(__file__).parent / "data" / "districts.yaml"
# The provinces whose every district the list must name: the four provinces, and the
# capital territory as one district. Gilgit-Baltistan and Azad Jammu and Kashmir are not
# listed, so a district of theirs is taken as written.
REQUIRED_PROVINCES = ("punjab", "sindh", "khyber_pakhtunkhwa", "balochistan", "islamabad")
_KEY = re.compile(r"[a-z][a-z_]*/[a-z][a-z0-9_]*")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")

PlaceName = Annotated[str, AfterValidator(NAME.validate)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DistrictSpec(_Strict):
    """One district as the file lists it."""

    key: str = Field(description="province/district, lower-case with underscores")
    en: PlaceName
    ur: PlaceName


class SourceText(_Strict):
    """Where the list comes from, in English and Urdu."""

    en: str = Field(min_length=1)
    ur: str = ""


class DistrictsFile(_Strict):
    """The whole districts file."""

    source: SourceText
    reflects: date = Field(description="the day the list is true of")
    districts: tuple[DistrictSpec, ...] = Field(min_length=1)


@dataclass(frozen=True)
class District:
    """A district: its key (`punjab/lahore`) and its names."""

    key: str
    en: str
    ur: str

    @property
    def province(self) -> str:
        return province_of(self.key)

    @property
    def slug(self) -> str:
        """The district's own part of the key: `lahore`."""
        return self.key.partition("/")[2]

    def name(self, language: str) -> str:
        return self.ur if language == "ur" else self.en


@dataclass(frozen=True)
class Districts:
    """Every listed district, and what the list says of itself."""

    source: str
    reflects: date
    districts: tuple[District, ...]

    def __iter__(self) -> Iterator[District]:
        return iter(self.districts)

    def __len__(self) -> int:
        return len(self.districts)

    def provinces(self) -> tuple[str, ...]:
        """The provinces listed, in the order of PROVINCES."""
        listed = {district.province for district in self.districts}
        return tuple(province for province in PROVINCES if province in listed)

    def in_province(self, province: str) -> tuple[District, ...]:
        """The districts of `province`, in the file's order."""
        return tuple(d for d in self.districts if d.province == province)

    def counts(self) -> dict[str, int]:
        """How many districts each listed province has."""
        return {province: len(self.in_province(province)) for province in self.provinces()}

    def get(self, key: str) -> District | None:
        return next((d for d in self.districts if d.key == key), None)

    def problem(self, jurisdiction: str) -> str | None:
        """Why `jurisdiction` names a district the list does not know, or None.

        Only districts of a listed province are checked; a province, `federal`, or a
        district of a province not listed is left to the other rules.
        """
        province, _, district = jurisdiction.partition("/")
        if not district or province not in self.provinces() or self.get(jurisdiction):
            return None
        known = [d.key for d in self.in_province(province)]
        close = [key for key in known if key.startswith(jurisdiction + "_")] or (
            difflib.get_close_matches(jurisdiction, known, n=1, cutoff=0.8)
        )
        if len(close) == 1:
            return f"unknown district {jurisdiction!r}; did you mean {close[0]}?"
        if close:
            return f"unknown district {jurisdiction!r}; did you mean one of {', '.join(close)}?"
        return (
            f"unknown district {jurisdiction!r}: {province} has no such district in the"
            f" list of districts (as of {self.reflects}); its districts are e.g."
            f" {', '.join(known[:3])}"
        )


def check_districts(file: DistrictsFile) -> list[Problem]:
    """Problems across entries: malformed or repeated keys, missing provinces, Urdu names."""
    problems: list[Problem] = []
    keys = Counter(spec.key for spec in file.districts)
    for index, spec in enumerate(file.districts):
        loc = ("districts", index)
        if not _KEY.fullmatch(spec.key):
            problems.append(
                (
                    (*loc, "key"),
                    f"{spec.key!r} is not a district key: write province/district in lower-case"
                    " letters, digits and underscores (e.g. punjab/dera_ghazi_khan)",
                )
            )
        elif province_of(spec.key) not in PROVINCES:
            problems.append(
                (
                    (*loc, "key"),
                    f"{spec.key!r} lies in no province; provinces are {', '.join(PROVINCES)}",
                )
            )
        if keys[spec.key] > 1:
            problems.append(((*loc, "key"), f"{spec.key} is listed twice"))
        if not _ARABIC_SCRIPT.search(spec.ur):
            problems.append(((*loc, "ur"), f"{spec.key} needs its name in Urdu script"))
    listed = {province_of(spec.key) for spec in file.districts}
    for province in REQUIRED_PROVINCES:
        if province not in listed:
            problems.append((("districts",), f"no district of {province} is listed"))
    return problems


def load_districts(path: Path) -> Districts:
    """The checked list in the file at `path`, or a DefinitionError naming every problem."""
    file = validate_and_check(DistrictsFile, read_yaml(path), check_districts)
    return Districts(
        source=" ".join(file.source.en.split()),
        reflects=file.reflects,
        districts=tuple(District(key=s.key, en=s.en, ur=s.ur) for s in file.districts),
    )


@cache
def bundled_districts() -> Districts:
    """The list shipped with taskforce, read once."""
    return load_districts(BUNDLED_DISTRICTS)
