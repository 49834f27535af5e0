"""A commitment moved to a new version of its pipeline says so in its history, in the
reader's language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from db import people, pipelines
from db.engine import transaction
from db.pipeline_migration import migrate
from states.calendar import WorkingCalendar
from taskforce.app import open_app
from taskforce.settings import Settings
from taskforce.web.app import create_app
from tests.integration.test_pipeline_migration import renaming_drafting
from tests.web.conftest import WEB_NOW, Site, csrf_of

CHAIR = "chair@example.org"


def test_the_history_says_a_bill_moved_to_a_new_version_in_english_and_urdu(
    site_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=site_url, data_dir=tmp_path / "data")
    installation = open_app(settings)
    try:
        with transaction(installation.sessions) as session:
            pipelines.register(session, renaming_drafting(installation.catalogue), now=WEB_NOW)
            registered = pipelines.registered(session)
            migrate(
                session,
                registered,
                "provincial_bill",
                to_version=6,
                actor=people.actor_for(people.by_email(session, CHAIR)),
                now=WEB_NOW - timedelta(hours=1),
                calendar=WorkingCalendar(),
            )
    finally:
        installation.close()

    # The pages read the pipelines as they stand when the application starts.
    installation = open_app(settings)
    try:
        site = Site(
            create_app(settings, installation=installation, clock=lambda: WEB_NOW), installation
        )
        chair = site.browser(CHAIR)
        page = chair.get("/commitments/CMB-PUNJAB").text
        assert "Moved to version 6 of its pipeline</strong>: drafting →" in page
        assert "from_version" not in page

        chair.post(
            "/preferences/language",
            data={"language": "ur", "next": "/board", "csrf_token": csrf_of(chair, "/board")},
        )
        page = chair.get("/commitments/CMB-PUNJAB").text
        assert "اپنی پائپ لائن کے ورژن 6 پر منتقل" in page
    finally:
        installation.close()
