"""Every HTML template is loaded by an environment that escapes it; text mail is not escaped.

Issue 10, defect 1: Starlette's default environment (`select_autoescape()`) does not
count `*.html.j2` as HTML, so the pages served stored text raw. These tests walk
the template folders, so a template added later is covered too, and ask the
environments the running code uses, not copies of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment
from markupsafe import Markup

from db import matrix, workflow
from db.engine import transaction
from notifications import paper_print
from notifications.render import TEMPLATES as MAIL_TEMPLATES
from notifications.render import Renderer
from taskforce.web.context import TEMPLATES as PAGE_TEMPLATES
from tests.web.conftest import WEB_NOW, Site

HOSTILE = "<script>alert(1)</script><a href=x>\"'&"


def autoescapes(env: Environment, name: str) -> bool:
    """Whether `env` escapes the template `name` (what Jinja decides when compiling it)."""
    decide = env.autoescape
    return bool(decide(name) if callable(decide) else decide)


def names_under(folder: Path, pattern: str) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob(pattern))


PAGES = names_under(PAGE_TEMPLATES, "*")
MAIL_HTML = names_under(MAIL_TEMPLATES, "*.html.j2")
MAIL_TEXT = names_under(MAIL_TEMPLATES, "*.txt.j2") + names_under(MAIL_TEMPLATES, "*.subject.j2")
PAPERS = names_under(paper_print.TEMPLATES, "*")


def test_the_walk_finds_the_templates() -> None:
    assert len(PAGES) >= 12 and all(name.endswith(".html.j2") for name in PAGES), PAGES
    assert len(MAIL_HTML) >= 12 and len(MAIL_TEXT) >= 20
    languages = {name.split("/")[0] for name in MAIL_HTML + MAIL_TEXT}
    assert languages == {"en", "ur"}
    assert PAPERS == ["working_paper.html.j2"]


def test_every_page_template_is_autoescaped_by_the_apps_environment(site: Site) -> None:
    env = site.app.state.web.templates.env
    for name in PAGES:
        assert autoescapes(env, name), f"{name} is rendered without escaping"
        env.get_template(name)  # and it loads from that environment
    # Whatever a template is called: a new one named otherwise is escaped too.
    for name in ("new.j2", "new.jinja", "new.txt", "new"):
        assert autoescapes(env, name), name
    rendered = env.from_string("{{ value }}|{{ safe }}").render(value=HOSTILE, safe=Markup("<b>"))
    assert rendered == "&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=x&gt;&#34;&#39;&amp;|<b>"


@pytest.mark.parametrize("name", MAIL_HTML)
def test_every_html_mail_template_is_autoescaped(name: str) -> None:
    env = Renderer()._environment
    assert autoescapes(env, name), f"{name} is rendered without escaping"
    env.get_template(name)


@pytest.mark.parametrize("name", MAIL_TEXT)
def test_text_and_subject_mail_templates_are_not_html_escaped(name: str) -> None:
    env = Renderer()._environment
    assert not autoescapes(env, name), f"{name} would show &lt; and &amp; in plain text"
    env.get_template(name)


@pytest.mark.parametrize("name", PAPERS)
def test_every_paper_template_is_autoescaped(name: str) -> None:
    env = paper_print.environment()
    assert autoescapes(env, name), f"{name} is rendered without escaping"
    env.get_template(name)


def test_the_printed_working_paper_shows_hostile_text_as_text(site: Site) -> None:
    installation = site.installation
    with transaction(installation.sessions) as session:
        workflow.note(
            session,
            key="CMB-PUNJAB",
            actor_email="law.officer.punjab@example.org",
            text=HOSTILE,
            now=WEB_NOW,
        )
    with transaction(installation.sessions) as session:
        data = matrix.build(session, installation.catalogue, installation.calendar, now=WEB_NOW)
    for language in ("en", "ur"):
        page = paper_print.to_html(data, language)
        assert "<script>" not in page and "<a href=x>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=x&gt;&#34;&#39;&amp;" in page
