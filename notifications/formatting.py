"""How mail and pages write dates, times, counts, durations and names, in English and Urdu.

Pure helpers for the templates. Dates, times, numbers and durations come from CLDR
through Babel (locales en_PK and ur_PK): "12 June 2026", "12 جون، 2026", "6 months",
"6 مہینے". Times are in Pakistan time whatever the server's zone. Digits stay Western
(0-9) in both languages, as government letters in Pakistan print them: CLDR's default
for ur_PK is already `latn`, and the numbers below ask for it by name all the same.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import isodate
from babel import Locale
from babel.dates import format_date, format_skeleton, get_timezone_name
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit

from states.calendar import PAKISTAN_TIME

ENGLISH = "en"
URDU = "ur"
LANGUAGES = (ENGLISH, URDU)

_LOCALES = {ENGLISH: Locale.parse("en_PK"), URDU: Locale.parse("ur_PK")}
DIGITS = "latn"

# CLDR has no unit for a working day; its plural rules choose the form.
_WORKING_DAYS = {
    ENGLISH: {"one": "{n} working day", "other": "{n} working days"},
    URDU: {"one": "کام کا {n} دن", "other": "کام کے {n} دن"},
}

# Names people use for the places; a district keeps its own (Latin) name.
_PLACES = {
    "federal": ("Federal", "وفاق"),
    "punjab": ("Punjab", "پنجاب"),
    "sindh": ("Sindh", "سندھ"),
    "khyber_pakhtunkhwa": ("Khyber Pakhtunkhwa", "خیبر پختونخوا"),
    "balochistan": ("Balochistan", "بلوچستان"),
    "islamabad": ("Islamabad", "اسلام آباد"),
    "gilgit_baltistan": ("Gilgit-Baltistan", "گلگت بلتستان"),
    "azad_kashmir": ("Azad Jammu and Kashmir", "آزاد جموں و کشمیر"),
}
_ROLES = {
    "officer": ("officer", "افسر"),
    "deputy_commissioner": ("deputy commissioner", "ڈپٹی کمشنر"),
    "secretary": ("secretary", "سیکرٹری"),
    "chief_secretary": ("chief secretary", "چیف سیکرٹری"),
    "federal_secretary": ("federal secretary", "وفاقی سیکرٹری"),
    "chair": ("chair", "چیئرپرسن"),
    "administrator": ("administrator", "منتظم"),
    "system": ("taskforce", "ٹاسک فورس"),
}
_DEPARTMENTS = {
    "administration": ("Administration", "انتظامیہ"),
    "chief_secretary_office": ("Chief Secretary's Office", "دفتر چیف سیکرٹری"),
    "district_administration": ("District Administration", "ضلعی انتظامیہ"),
    "foreign_affairs": ("Foreign Affairs", "امور خارجہ"),
    "human_rights": ("Human Rights", "انسانی حقوق"),
    "interior": ("Interior", "داخلہ"),
    "law": ("Law", "قانون"),
    "police": ("Police", "پولیس"),
    "women_development": ("Women Development", "ترقی نسواں"),
}


def _check(language: str) -> bool:
    """True for Urdu; a language we do not write is a programming error."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language == URDU


def _locale(language: str) -> Locale:
    _check(language)
    return _LOCALES[language]


def day(value: date | datetime, language: str = ENGLISH) -> str:
    """A day in CLDR's long form: '12 June 2026', or '12 جون، 2026' in Urdu.

    An instant (an aware datetime) gives the day it falls on in Pakistan.
    """
    if isinstance(value, datetime):
        value = _local(value).date()
    return format_date(value, "long", locale=_locale(language))


def day_of_month(value: date, language: str = ENGLISH) -> str:
    """A day without its year, short where CLDR has a short month: '13 Jul', '13 جولائی'."""
    return format_skeleton("MMMd", value, locale=_locale(language))


def clock(value: datetime, language: str = ENGLISH) -> str:
    """The time of an instant in Pakistan, on the 24-hour clock: '14:05'."""
    return format_skeleton("Hm", _local(value), locale=_locale(language))


def day_and_time(value: datetime, language: str = ENGLISH) -> str:
    """'12 June 2026, 14:05' ('12 جون، 2026 14:05'): the pages' times, in Pakistan."""
    # CLDR's pattern for joining a date and a time: "{1}, {0}" in English, "{1} {0}" in Urdu.
    pattern = str(_locale(language).datetime_formats["medium"])
    return pattern.format(clock(value, language), day(value, language))


def moment(value: datetime, language: str = ENGLISH) -> str:
    """An instant, naming the zone: '12 June 2026, 14:05 (Pakistan Time)'.

    In Urdu '12 جون، 2026 14:05 (پاکستان وقت)'; the zone's name is CLDR's.
    """
    zone = get_timezone_name(PAKISTAN_TIME, width="short", locale=_locale(language))
    return f"{day_and_time(value, language)} ({zone})"


def day_ending(value: datetime, language: str = ENGLISH) -> str:
    """The Pakistan day that ends at `value` (a due time is the end of a day)."""
    return day((_local(value) - timedelta(microseconds=1)).date(), language)


def number(value: int | float, language: str = ENGLISH) -> str:
    """A count with the locale's grouping, in Western digits: '1,250'."""
    return format_decimal(value, locale=_locale(language), numbering_system=DIGITS)


def working_days(count: int, language: str = ENGLISH) -> str:
    """'1 working day', '5 working days'; in Urdu 'کام کا 1 دن', 'کام کے 5 دن'."""
    category = _locale(language).plural_form(count)
    forms = _WORKING_DAYS[language]
    form = forms.get(category, forms["other"])
    return form.format(n=number(count, language))


def duration(value: str, language: str = ENGLISH) -> str:
    """An ISO 8601 period as people say it: 'P6M' → '6 months' ('6 مہینے'), 'P10D' → '10 days'.

    Whole weeks of days are said in weeks ('P14D' → '2 weeks'); the units are CLDR's.
    """
    parsed = isodate.parse_duration(value)
    if isinstance(parsed, isodate.Duration):
        years, months, days = int(parsed.years), int(parsed.months), parsed.tdelta.days
    else:
        years, months, days = 0, 0, parsed.days
    weeks, days = (days // 7, 0) if days and days % 7 == 0 else (0, days)
    locale = _locale(language)
    parts = [
        format_unit(amount, unit, length="long", locale=locale, numbering_system=DIGITS)
        for amount, unit in (
            (years, "duration-year"),
            (months, "duration-month"),
            (weeks, "duration-week"),
            (days, "duration-day"),
        )
        if amount
    ]
    return format_list(parts, style="unit", locale=locale) if parts else value


def jurisdiction(value: str, language: str = ENGLISH) -> str:
    """'balochistan' → 'Balochistan'; 'punjab/dera_ghazi_khan' → 'Dera Ghazi Khan, Punjab'."""
    urdu = _check(language)
    province, _, district = value.partition("/")
    names = _PLACES.get(province)
    place = (names[1] if urdu else names[0]) if names else _words(province)
    if not district:
        return place
    return f"{_words(district)}، {place}" if urdu else f"{_words(district)}, {place}"


def role(value: str, language: str = ENGLISH) -> str:
    """A role as people say it: 'chief_secretary' → 'chief secretary' ('چیف سیکرٹری')."""
    urdu = _check(language)
    names = _ROLES.get(value)
    if names is None:
        return value.replace("_", " ")
    return names[1] if urdu else names[0]


def department(value: str, language: str = ENGLISH) -> str:
    """'women_development' → 'Women Development' ('ترقی نسواں'); unknown ones keep their words."""
    urdu = _check(language)
    names = _DEPARTMENTS.get(value)
    if names is None:
        return _words(value)
    return names[1] if urdu else names[0]


def _local(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no time zone; pass an aware datetime")
    return value.astimezone(PAKISTAN_TIME)


def _words(value: str) -> str:
    return " ".join(part.capitalize() for part in value.replace("_", " ").split())
