"""A click in Slack reaches the waiting Prefect run: a sign-off or an escalation re-reads
the record at once instead of waiting for its next timer."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.states import Paused, Running

from adapters import notices
from intake.app import create_app
from models import db
from policy.signoff import DecisionKind
from record import decisions as svc
from record.incidents import get_incident
from tests.support import slack_requests as sr
from tests.support.fake_slack import running_fake_slack, slack_configured
from tests.support.seed import seed_report, seed_team


@flow(name="waiting-for-slack")
def waiting() -> None:
    """Stands in for a suspended sign-off or escalation run."""


def _paused_run() -> UUID:
    with get_client(sync_client=True) as client:
        run = client.create_flow_run(waiting, state=Running())
        client.set_flow_run_state(run.id, Paused())
        return run.id


def _state_name(run_id: UUID) -> str | None:
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state
        return state.name if state else None


@pytest.fixture
def client(prefect_server: None, sqlite_care: str) -> Iterator[TestClient]:
    with db.session_scope() as session:
        seed_team(session)
    with running_fake_slack() as fake, slack_configured(fake), TestClient(create_app()) as app:
        yield app


def _click(client: TestClient, payload: dict) -> None:
    body = sr.interaction_body(payload)
    headers = sr.signed(body, content_type=sr.FORM)
    assert client.post("/slack/interactivity", content=body, headers=headers).status_code == 200


def test_an_approval_in_slack_wakes_the_sign_off_run(client: TestClient) -> None:
    run_id = _paused_run()
    with db.session_scope() as session:
        incident = get_incident(session, seed_report(session))
        decision = svc.propose(
            session, kind=DecisionKind.other, summary="x", proposer="ana", incident=incident
        )
        decision.flow_run_id = str(run_id)
        decision_id = decision.id
    _click(client, sr.click(notices.APPROVE, str(decision_id), user="UBEN"))
    assert _state_name(run_id) == "Woken"


def test_an_acknowledgement_in_slack_wakes_the_escalation_run(client: TestClient) -> None:
    run_id = _paused_run()
    with db.session_scope() as session:
        code = seed_report(session, urgent=True)
        get_incident(session, code).escalation_flow_run_id = str(run_id)
    _click(client, sr.click(notices.ACK, code, user="UDEV"))
    assert _state_name(run_id) == "Woken"
