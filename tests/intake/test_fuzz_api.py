"""A bounded fuzz run of the intake service against its own OpenAPI: never a 500.

Schemathesis generates valid and invalid JSON and form bodies for ``POST /reports`` (and
calls ``GET /report``); every answer must be documented, well-formed and below 500.
(Schemathesis's own pytest plugin does not run under pytest 9: its strategies are used
with ``@given`` directly.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from intake.app import create_app
from models import db
from models.settings import get_settings
from tests.support.seed import seed_team

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_service_never_answers_500(sqlite_care: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARE_INTAKE_RATE_LIMIT", "100000/minute")  # fuzz the parser, not the limit
    get_settings.cache_clear()
    with db.session_scope() as session:
        seed_team(session)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    cases = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )

    statuses: list[int] = []

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def call(case: schemathesis.Case) -> None:
        statuses.append(case.call_and_validate(checks=CHECKS).status_code)

    call()
    assert {200, 201} & set(statuses) and {403, 422} & set(statuses)  # both paths were fuzzed
    get_settings.cache_clear()
