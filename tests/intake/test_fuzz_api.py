"""A bounded fuzz run of the intake service against its own OpenAPI: never a 500.

Schemathesis generates valid and invalid JSON and form bodies for ``POST /reports`` (and
calls ``GET /report``) and for Slack's request URLs; every answer must be documented,
well-formed and below 500. The one 5xx allowed is Slack's documented 503, on a Slack URL,
when this deployment has no Slack app. With Slack configured the fuzzer cannot sign, so
every Slack URL must answer the documented 401. (Schemathesis's own pytest plugin does not
run under pytest 9: its strategies are used with ``@given`` directly.)
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

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
from intake.slack_openapi import NOT_CONFIGURED
from models import db
from models.settings import get_settings
from tests.support.fake_slack import running_fake_slack, slack_configured
from tests.support.seed import seed_team

CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _slack_without_app(case: schemathesis.Case, response: Any) -> bool:
    """Slack's documented 503: a Slack URL, no signing secret, and exactly that answer."""
    return (
        case.path.startswith("/slack/")
        and get_settings().slack_signing_secret is None
        and response.status_code == 503
        and response.json() == {"detail": NOT_CONFIGURED}
    )


def not_a_server_error_but_slack_unconfigured(ctx: Any, response: Any, case: Any) -> bool | None:
    """``not_a_server_error``, except for Slack's documented 'not configured' 503."""
    if _slack_without_app(case, response):
        return None
    return not_a_server_error(ctx, response, case)


def _fuzz(schema: Any, checks: list[Any], examples: int) -> dict[str, set[int]]:
    """Run the fuzzer; return the statuses seen per path."""
    cases = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )
    seen: dict[str, set[int]] = defaultdict(set)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def call(case: schemathesis.Case) -> None:
        seen[case.path].add(case.call_and_validate(checks=checks).status_code)

    call()
    return seen


@pytest.fixture
def fuzzable(sqlite_care: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CARE_INTAKE_RATE_LIMIT", "100000/minute")  # fuzz the parser, not the limit
    for name in ("CARE_SLACK_SIGNING_SECRET", "CARE_SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    with db.session_scope() as session:
        seed_team(session)
    yield
    get_settings.cache_clear()


def test_the_service_never_answers_500(fuzzable: None) -> None:
    assert get_settings().slack_signing_secret is None  # a deployment without Slack
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    checks = [not_a_server_error_but_slack_unconfigured, *CONFORMANCE]
    seen = _fuzz(schema, checks, examples=150)
    assert {200, 201} & seen["/reports"] and {403, 422} & seen["/reports"]  # both paths fuzzed
    slack = {path: statuses for path, statuses in seen.items() if path.startswith("/slack/")}
    assert set(slack) == {"/slack/commands", "/slack/interactivity", "/slack/events"}
    assert set().union(*slack.values()) == {503}


def test_slack_urls_refuse_what_the_fuzzer_cannot_sign(fuzzable: None) -> None:
    with running_fake_slack() as fake, slack_configured(fake):
        schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
        seen = _fuzz(schema.include(path_regex="^/slack/"), [not_a_server_error, *CONFORMANCE], 60)
    assert set(seen) == {"/slack/commands", "/slack/interactivity", "/slack/events"}
    assert set().union(*seen.values()) == {401}
    assert fake.calls == []  # nothing unsigned reached Slack's API
