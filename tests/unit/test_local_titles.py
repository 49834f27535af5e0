"""Titles in English and Urdu: how files give them, how a bad one is refused, how one is shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.catalogue import Catalogue, load_pipeline_file
from states.errors import DefinitionError
from states.localtext import FALLBACK_MARKER, LocalText
from states.meeting import load_meeting_file
from taskforce.web import diagram, render

PIPELINE = """\
key: demo
version: 1
title: {title}
initial: open
fields:
  number:
    title:
      en: Bill number
      ur: بل نمبر
    help:
      en: as the assembly numbers it
      ur: جیسا کہ اسمبلی نمبر دے
stages:
  - key: open
    title:
      en: Drafting
      ur: مسودہ سازی
    owner: officer
    time_limit: 5
  - key: done
    title: Done
    owner: officer
    terminal: true
    outcome: completed
transitions:
  - action: finish
    title: {{en: Finish, ur: مکمل کریں}}
    from: open
    to: done
    roles: [officer]
    requires: [number]
"""

MEETING = """\
meeting:
  key: tf_2026_06
  title: Task force, June 2026
  held_on: 2026-06-12
commitments:
  - key: CMB-PUNJAB
    title: {title}
    pipeline: provincial_bill
    jurisdiction: punjab
    department: law
"""


def _write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_pipeline_gives_titles_and_help_in_both_languages(tmp_path: Path) -> None:
    title = "{en: Provincial bill, ur: صوبائی بل}"
    pipeline = load_pipeline_file(_write(tmp_path, PIPELINE.format(title=title)))

    assert pipeline.title.in_("ur").text == "صوبائی بل"
    assert pipeline.title.in_("en").text == "Provincial bill"
    assert pipeline.stage("open").title.in_("ur").text == "مسودہ سازی"
    assert pipeline.transitions[0].title.in_("ur").text == "مکمل کریں"
    spec = pipeline.fields["number"]
    assert spec.title.in_("ur").text == "بل نمبر"
    assert spec.help is not None and spec.help.in_("ur").text == "جیسا کہ اسمبلی نمبر دے"


def test_a_plain_string_is_english_and_keeps_the_definitions_checksum(tmp_path: Path) -> None:
    plain = load_pipeline_file(_write(tmp_path, PIPELINE.format(title="Provincial bill")))
    translated = load_pipeline_file(
        _write(tmp_path, PIPELINE.format(title="{en: Provincial bill, ur: صوبائی بل}"), "b.yaml")
    )

    assert plain.title == LocalText(en="Provincial bill")
    # Only the translation differs: the same rules, so the same version may carry it.
    assert plain.checksum() == translated.checksum()
    assert plain.canonical_json() != translated.canonical_json()
    # An untranslated title is stored as files always wrote it, a plain string.
    assert '"title":"Provincial bill"' in plain.canonical_json()


def test_untranslated_text_falls_back_to_english_marked_as_such() -> None:
    shown = LocalText(en="Done").in_("ur")

    assert shown.text == "Done" and shown.fallback
    assert shown.marked == f"Done {FALLBACK_MARKER['ur']}"
    html = shown.__html__()
    assert '<span lang="en" dir="ltr" class="untranslated">Done</span>' in html
    assert FALLBACK_MARKER["ur"] in html
    # English pages show English as it is, with no marker.
    assert not LocalText(en="Done").in_("en").fallback
    assert LocalText(en="Done", ur="مکمل").in_("en").__html__() == "Done"


def test_untranslated_text_is_escaped_in_its_marker() -> None:
    html = LocalText(en="<b>Done</b> & co").in_("ur").__html__()

    assert "<b>" not in html and "&lt;b&gt;Done&lt;/b&gt; &amp; co" in html


def test_pages_print_titles_in_their_language_with_the_marker() -> None:
    env = render.environment(Path(__file__).parent)  # a loader is needed, not used
    template = env.from_string("<h1>{{ title }}</h1><p>{{ untranslated }}</p>")
    title = LocalText(en="Provincial bill", ur="صوبائی بل")
    untranslated = LocalText(en="Done")

    urdu = template.render(language="ur", title=title, untranslated=untranslated)
    english = template.render(language="en", title=title, untranslated=untranslated)

    assert "<h1>صوبائی بل</h1>" in urdu and 'lang="en"' in urdu
    assert english == "<h1>Provincial bill</h1><p>Done</p>"


def test_the_diagram_names_stages_and_actions_in_urdu(tmp_path: Path) -> None:
    pipeline = load_pipeline_file(_write(tmp_path, PIPELINE.format(title="Provincial bill")))

    drawing = diagram.svg(pipeline, language="ur")

    assert "مسودہ سازی" in drawing and "مکمل کریں" in drawing
    assert "Drafting" not in drawing
    # "Done" has no Urdu: it is drawn in English, marked.
    assert f"Done {FALLBACK_MARKER['ur']}" in drawing


@pytest.mark.parametrize(
    ("title", "says"),
    [
        ("{ur: صوبائی بل}", "the English title (en:) is missing"),
        ("{en: Provincial bill, fr: Projet de loi}", "unknown language fr"),
        ("{en: Provincial bill, ur: [a, b]}", "the Urdu title (ur:) must be text"),
        ('{en: Provincial bill, ur: "A\\x01b"}', "the Urdu (ur:) text contains a control"),
        ("{en: Provincial bill, ur: '   '}", "the Urdu (ur:) text is empty"),
        (f"{{en: Provincial bill, ur: {'ب' * 201}}}", "the Urdu (ur:) text is 201 characters"),
    ],
)
def test_a_bad_title_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, title: str, says: str
) -> None:
    path = _write(tmp_path, PIPELINE.format(title=title))

    with pytest.raises(DefinitionError) as caught:
        load_pipeline_file(path)

    message = str(caught.value)
    assert f"{path}:3: title:" in message
    assert says in message


def test_a_meeting_gives_a_commitment_title_in_both_languages(tmp_path: Path) -> None:
    title = "{en: Enact a child marriage restraint law, ur: کم عمری کی شادی کی روک تھام کا بل}"
    meeting = load_meeting_file(_write(tmp_path, MEETING.format(title=title), "m.yaml"))
    plain = load_meeting_file(
        _write(tmp_path, MEETING.format(title="Enact a child marriage restraint law"), "p.yaml")
    )

    (spec,) = meeting.commitments
    assert spec.title.en == "Enact a child marriage restraint law"
    assert spec.title.ur == "کم عمری کی شادی کی روک تھام کا بل"
    assert plain.commitments[0].title == LocalText(en="Enact a child marriage restraint law")


def test_a_meeting_with_a_bad_title_names_the_file_and_the_commitment(tmp_path: Path) -> None:
    path = _write(tmp_path, MEETING.format(title="{ur: کم عمری کی شادی کا بل}"), "m.yaml")

    with pytest.raises(DefinitionError) as caught:
        load_meeting_file(path)

    assert f"{path}:7: commitments[0].title:" in str(caught.value)
    assert "the English title (en:) is missing" in str(caught.value)


def test_every_bundled_title_has_its_urdu() -> None:
    root = Path(__file__).parents[2]
    catalogue = Catalogue.from_directories([root / "states" / "pipelines"])
    meeting = load_meeting_file(root / "taskforce" / "data" / "meeting-08.yaml")

    untranslated = [
        f"{pipeline.key}: {text.en}"
        for pipeline in catalogue.all()
        for text in (
            pipeline.title,
            *(stage.title for stage in pipeline.stages),
            *(transition.title for transition in pipeline.transitions),
            *(spec.title for spec in pipeline.fields.values()),
            *(spec.help for spec in pipeline.fields.values() if spec.help is not None),
        )
        if not text.ur
    ]
    untranslated += [spec.key for spec, _ in meeting.walk() if not spec.title.ur]
    assert untranslated == []
