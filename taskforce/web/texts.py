"""Texts the pages translate by value, listed so that `make messages` keeps them in the catalog.

Roles, endings and field kinds reach the templates as enum values (`t(person.role.value)`),
where extraction cannot see them; tests/web/test_catalog.py checks this list covers the enums.
"""

from __future__ import annotations

from taskforce.web.i18n import N_

ROLES = (
    N_("officer"),
    N_("deputy_commissioner"),
    N_("secretary"),
    N_("chief_secretary"),
    N_("federal_secretary"),
    N_("chair"),
    N_("administrator"),
    N_("system"),
)
ENDINGS = (N_("completed"), N_("withdrawn"), N_("lapsed"))
FIELD_KINDS = (N_("text"), N_("date"), N_("number"), N_("url"), N_("file"))
