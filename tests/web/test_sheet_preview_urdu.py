"""A reader of Urdu uploading a filled sheet sees its preview and result in Urdu: the
commitments' titles, the actions and the stages come from the catalogue and the meeting
file in Urdu; only what the rows wrote (remarks, an action as typed) stays as written."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import transaction
from db.models import Commitment
from states import sheets
from tests.web.conftest import Site, csrf_of
from tests.web.pages import text_of
from tests.web.test_sheet_upload import HAPPENED, HASH_INPUT, SECRETARY, _fill, _move_lahore
from tests.web.test_sheet_upload import _upload as upload
from tests.web.test_urdu_messages import choose

REMARK = "Committees met in 30 of 36 districts"


def titles(site: Site, key: str, action: str, to: str) -> tuple[str, str, str, str, str, str]:
    """The commitment's, the action's and the stage's titles: in Urdu, then in English."""
    with transaction(site.installation.sessions) as session:
        item = session.scalars(select(Commitment).where(Commitment.key == key)).one()
        pipeline = site.installation.catalogue.get(item.pipeline_key, item.pipeline_version)
        title = item.local_title
    moved = next(t for t in pipeline.transitions if t.action == action).title
    stage = pipeline.stage(to).title
    assert title.ur and moved.ur and stage.ur
    return title.ur, moved.ur, stage.ur, title.en, moved.en, stage.en


def main_of(html: str) -> str:
    return text_of(html[html.index("<main") :])


def test_the_preview_and_the_result_name_items_actions_and_stages_in_urdu(site: Site) -> None:
    client = choose(site.browser(SECRETARY), "ur")
    downloaded = client.get("/board/sheet.xlsx").content
    _move_lahore(site)  # its row becomes a conflict
    filled = _fill(
        downloaded,
        {
            "DHRC-PUNJAB": {
                sheets.ACTION: "nominate_members",
                sheets.VALUES: "members=9",
                sheets.HAPPENED_ON: HAPPENED,
            },
            "PTF-PUNJAB": {sheets.REMARK: REMARK},
            "DHRC-PUNJAB-LAHORE": {sheets.REMARK: "Lahore committee met twice"},
        },
    )
    moved = titles(site, "DHRC-PUNJAB", "nominate_members", "members_nominated")
    remarked = titles(site, "PTF-PUNJAB", "record_meeting", "awaiting_first_meeting")
    stale = titles(site, "DHRC-PUNJAB-LAHORE", "nominate_members", "members_nominated")

    preview = upload(client, filled)

    assert preview.status_code == 200, preview.text[:2000]
    page = main_of(preview.text)
    title_ur, action_ur, stage_ur, title_en, action_en, stage_en = moved
    assert title_ur in page and action_ur in page and stage_ur in page
    assert title_en not in page and action_en not in page and stage_en not in page
    assert remarked[0] in page and remarked[3] not in page
    # The conflict: its title, and the stage it is in now.
    assert stale[0] in page and stale[2] in page and stale[5] not in page
    assert REMARK in page  # what the row wrote stays as written

    found = HASH_INPUT.search(preview.text)
    assert found
    applied = client.post(
        "/board/sheet/apply",
        data={"csrf_token": csrf_of(client, "/board"), "sha256": found.group(1)},
    )
    assert applied.status_code == 303
    result = main_of(client.get("/board/sheet/result").text)
    assert title_ur in result and stage_ur in result and stage_en not in result
