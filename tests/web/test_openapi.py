"""The OpenAPI document is valid and true: each documented operation answers as documented.

Schemathesis generates requests from the document (valid ones and malformed ones)
and checks every answer: no server errors, only documented status codes, bodies
matching the documented schemas, and 401 whenever the token is left out.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.web.conftest import Site

CHAIR = "chair@example.org"
EXAMPLES_PER_OPERATION = 12

pytestmark = pytest.mark.slow


def test_the_document_lists_every_api_route_with_its_security(site: Site) -> None:
    document = site.anonymous().get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    assert {
        "/api/v1/me",
        "/api/v1/commitments",
        "/api/v1/commitments/{key}",
        "/api/v1/commitments/{key}/advance",
        "/api/v1/commitments/{key}/acknowledge",
        "/api/v1/commitments/{key}/snooze",
        "/api/v1/stalled",
        "/api/v1/digests/latest",
    } <= paths
    assert all(path.startswith("/api/v1/") for path in paths), "pages must not be documented"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security") == [{"token": []}], f"{method} {path}"
            assert "x-access" in operation, f"{method} {path} declares no access"


def test_every_operation_answers_as_documented(site: Site) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", site.app)
    headers = {"Authorization": f"Bearer {site.token(CHAIR)}"}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers)

        answers_as_documented()
        checked += 1
    assert checked >= 8
