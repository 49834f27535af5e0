"""The interface in English or Urdu: English text is the key, Urdu comes from a catalogue file."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "ur")
RIGHT_TO_LEFT = frozenset({"ur"})


@cache
def catalogue(language: str) -> dict[str, str]:
    """English text to its translation; empty for English."""
    if language == "en":
        return {}
    path = LOCALES / f"{language}.yaml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in loaded.items()}


def translator(language: str) -> Callable[..., str]:
    """`t("Sign in")`, or `t("{n} overdue", n=3)`: falls back to English where not translated."""
    entries = catalogue(language if language in LANGUAGES else "en")

    def translate(text: str, **values: object) -> str:
        translated = entries.get(text, text)
        return translated.format(**values) if values else translated

    return translate


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"
