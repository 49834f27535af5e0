"""Data bundled with taskforce: the sample meeting."""

from pathlib import Path

BUNDLED_MEETING = Path(__file__).parent / "meeting-08.yaml"
