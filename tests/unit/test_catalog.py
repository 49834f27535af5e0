"""Every text the web shows has its Urdu in the gettext catalog, with the same placeholders.

The texts are extracted the way `make messages` extracts them (Babel, with the mapping in
babel.cfg and the keywords `t`, `tn`, `N_`, `Nn_` and `Message`), so a new `t("...")` in a
template or page module, or a new engine `Message("...")` in states/ or db/, fails here, by name,
until ur.po has its Urdu. Fuzzy entries count as
missing: the server shows them in English until a translator has checked them.
"""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from states.actors import Role
from states.definition import Ending, FieldKind
from taskforce.web import i18n, texts

WEB = i18n.LOCALES.parent
ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "babel.cfg"
# The same keywords and folders as `make messages`: the pages, and the engine's messages.
KEYWORDS = {"t": None, "tn": (1, 2), "N_": None, "Nn_": (1, 2), "Message": None}
FOLDERS = (WEB, ROOT / "states", ROOT / "db")


def extracted() -> dict[str, list[str]]:
    """Every msgid in the web's templates and modules and the engine's messages, with where."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)  # type: ignore[no-untyped-call]
    found: dict[str, list[str]] = {}
    for folder in FOLDERS:
        for filename, line, message, _comments, _context in extract_from_dir(
            folder, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
        ):
            # A plural text (tn) is found by its singular, as the catalog keys it.
            msgid = message[0] if isinstance(message, tuple) else message
            if isinstance(msgid, str) and msgid:
                found.setdefault(msgid, []).append(f"{folder.name}/{filename}:{line}")
    return found


def urdu() -> Catalog:
    with i18n.catalog_path("ur").open("rb") as po:
        return read_po(po, locale="ur")


def urdu_of(catalog: Catalog, msgid: str) -> str:
    entry = catalog.get(msgid)
    assert entry is not None, f"{msgid!r} is not in ur.po"
    return str(entry.string)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def forms(text: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """Every form of a translation or msgid: one, or a plural text's several."""
    if isinstance(text, tuple | list):
        return tuple(str(form or "") for form in text)
    return (str(text or ""),)


def test_every_text_shown_on_a_page_has_its_urdu() -> None:
    catalog = urdu()
    missing = []
    for msgid, places in extracted().items():
        entry = catalog.get(msgid)
        if entry is None or not all(forms(entry.string)) or entry.fuzzy:
            why = "fuzzy" if entry is not None and entry.fuzzy else "no Urdu"
            missing.append(f"  {msgid!r} ({why}; used in {', '.join(places)})")
    assert not missing, (
        "These texts have no checked Urdu translation in "
        "taskforce/web/locales/ur/LC_MESSAGES/messages.po. Run `make messages`, then "
        "translate them in the .po (and clear any fuzzy flag):\n" + "\n".join(missing)
    )


def test_every_translation_keeps_the_placeholders_of_its_english() -> None:
    # A plural text's every form keeps the placeholders of the English plural.
    wrong = [
        f"  {entry.id!r}: {sorted(placeholders(form))}"
        f" instead of {sorted(placeholders(forms(entry.id)[-1]))}"
        for entry in urdu()
        if entry.id
        for form in forms(entry.string)
        if form and placeholders(forms(entry.id)[-1]) != placeholders(form)
    ]
    assert not wrong, "Urdu that would lose or invent a value when shown:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("listed", "values"),
    [(texts.ROLES, Role), (texts.ENDINGS, Ending), (texts.FIELD_KINDS, FieldKind)],
    ids=["roles", "endings", "field kinds"],
)
def test_texts_shown_by_value_list_every_value_of_their_enum(
    listed: tuple[str, ...], values: type[Role] | type[Ending] | type[FieldKind]
) -> None:
    assert set(listed) == {value.value for value in values}


def test_a_page_in_urdu_uses_the_catalog_and_english_uses_the_msgid() -> None:
    catalog = urdu()
    urdu_text = i18n.translator("ur")
    assert urdu_text("Sign in") == urdu_of(catalog, "Sign in") != "Sign in"
    assert urdu_text("Error {status}", status=404) == urdu_of(catalog, "Error {status}").format(
        status=404
    )
    assert i18n.translator("en")("Error {status}", status=404) == "Error 404"
    assert urdu_text("A text nobody has translated") == "A text nobody has translated"
    assert urdu_text("") == ""


def test_latin_values_inside_urdu_keep_their_order_and_counts_stay_plain() -> None:
    urdu_text = i18n.translator("ur")
    part_of = urdu_text("Part of {key}", key="CSW-SINDH")
    assert "\u2068CSW-SINDH\u2069" in part_of
    assert part_of.replace("\u2068", "").replace("\u2069", "") == urdu_of(
        urdu(), "Part of {key}"
    ).format(key="CSW-SINDH")
    assert "\u2068" not in urdu_text("Error {status}", status=404)
    assert i18n.translator("en")("Part of {key}", key="CSW-SINDH") == "Part of CSW-SINDH"


def test_a_count_takes_the_form_its_language_gives_it() -> None:
    english = i18n.plural_translator("en")
    assert english("{n} working day left", "{n} working days left", 1) == "1 working day left"
    assert english("{n} working day left", "{n} working days left", 4) == "4 working days left"
    in_urdu = i18n.plural_translator("ur")
    one, other = urdu_forms("Apply {n} change")
    assert in_urdu("Apply {n} change", "Apply {n} changes", 1) == one.format(n=1)
    assert in_urdu("Apply {n} change", "Apply {n} changes", 3) == other.format(n=3)
    assert one != other


def urdu_forms(msgid: str) -> tuple[str, str]:
    entry = urdu().get(msgid)
    assert entry is not None and isinstance(entry.string, tuple), f"{msgid!r} has no plural"
    return str(entry.string[0]), str(entry.string[1])
