"""How mail writes dates, times, counts and names, in English and in Urdu.

Pure helpers for the templates: dates as people in Pakistan write them
("12 June 2026", "12 جون 2026"), times in Pakistan time whatever the server's
zone, and working-day counts. Digits stay Western (0-9) in both languages, as
government letters in Pakistan print them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from states.calendar import PAKISTAN_TIME

ENGLISH = "en"
URDU = "ur"
LANGUAGES = (ENGLISH, URDU)

ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
URDU_MONTHS = (
    "جنوری",
    "فروری",
    "مارچ",
    "اپریل",
    "مئی",
    "جون",
    "جولائی",
    "اگست",
    "ستمبر",
    "اکتوبر",
    "نومبر",
    "دسمبر",
)

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


def day(value: date | datetime, language: str = ENGLISH) -> str:
    """A day as written in Pakistan: '12 June 2026', or '12 جون 2026' in Urdu.

    An instant (an aware datetime) gives the day it falls on in Pakistan.
    """
    if isinstance(value, datetime):
        value = _local(value).date()
    months = URDU_MONTHS if _check(language) else ENGLISH_MONTHS
    return f"{value.day} {months[value.month - 1]} {value.year}"


def moment(value: datetime, language: str = ENGLISH) -> str:
    """An instant in Pakistan time: '12 June 2026, 14:05 PKT' ('12 جون 2026، 14:05' in Urdu)."""
    local = _local(value)
    if _check(language):
        return f"{day(local.date(), language)}، {local:%H:%M} (پاکستانی وقت)"
    return f"{day(local.date(), language)}, {local:%H:%M} PKT"


def day_ending(value: datetime, language: str = ENGLISH) -> str:
    """The Pakistan day that ends at `value` (a due time is the end of a day)."""
    return day((_local(value) - timedelta(microseconds=1)).date(), language)


def working_days(count: int, language: str = ENGLISH) -> str:
    """'1 working day', '5 working days'; in Urdu 'کام کا 1 دن', 'کام کے 5 دن'."""
    if _check(language):
        return f"کام کا {count} دن" if count == 1 else f"کام کے {count} دن"
    return f"{count} working day" if count == 1 else f"{count} working days"


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
