"""An answer given in the console wakes the suspended sign-off run (real Prefect server)."""

from __future__ import annotations

from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.states import Running, Suspended

from models import db
from policy.signoff import DecisionKind
from record import decisions as decision_svc
from record.incidents import get_incident
from tests.support.console import console_app, csrf, next_code, signed_in
from tests.support.seed import seed_report, seed_team

WOKEN = {"Woken", "Resuming"}  # Scheduled again, by a wake or a resume


def _suspended_run(name: str) -> UUID:
    """A flow run of a deployment, suspended as a sign-off run waits for its answer."""
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("collect-signoff")
        deployment = client.create_deployment(flow_id=flow_id, name=name)
        run = client.create_flow_run_from_deployment(deployment)
        client.set_flow_run_state(run.id, Running(), force=True)
        client.set_flow_run_state(run.id, Suspended(pause_key="paused-1"), force=True)
        return run.id


def _state_name(run_id: UUID) -> str:
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state
        return str(state.name) if state else "none"


@pytest.fixture
def two_pending(sqlite_care: str, prefect_server: None) -> tuple[str, list[int], dict[str, str]]:
    with db.session_scope() as session:
        seeded = seed_team(session)
        incident = get_incident(session, seed_report(session))
        ids = []
        for i in range(2):
            decision = decision_svc.propose(
                session,
                kind=DecisionKind.reporter_message,
                summary=f"reporter message {i}",
                proposer="ana",
                incident=incident,
                body=f"Dear reporter, message {i}.",
            )
            decision.flow_run_id = str(_suspended_run(f"console-wake-{decision.id}"))
            ids.append(decision.id)
        return incident.code, ids, seeded.totp


def _run_of(decision_id: int) -> UUID:
    with db.session_scope() as session:
        return UUID(decision_svc.get_decision(session, decision_id).flow_run_id)


def test_a_counted_approval_wakes_its_signoff_run(
    two_pending: tuple[str, list[int], dict[str, str]],
) -> None:
    _code, (first, second), secrets = two_pending
    app, _ = console_app()
    client = signed_in(app, "ben", secrets["ben"])
    client.get(f"/console/decisions/{first}")  # the texts are read before they are approved
    wrong = client.post(
        f"/console/decisions/{first}/answer",
        data={"verdict": "approve", "code": "000000", "csrf": csrf(client)},
    )
    assert wrong.status_code == 400
    assert _state_name(_run_of(first)) == "Suspended"  # nothing counted: nothing to wake
    right = client.post(
        f"/console/decisions/{first}/answer",
        data={"verdict": "approve", "code": next_code(secrets["ben"]), "csrf": csrf(client)},
    )
    assert right.status_code == 200
    assert _state_name(_run_of(first)) in WOKEN
    assert _state_name(_run_of(second)) == "Suspended"


def test_declaring_a_conflict_wakes_every_open_signoff(
    two_pending: tuple[str, list[int], dict[str, str]],
) -> None:
    code, ids, secrets = two_pending
    app, _ = console_app()
    client = signed_in(app, "chloe", secrets["chloe"])
    response = client.post(f"/console/incidents/{code}/conflict", data={"csrf": csrf(client)})
    assert response.status_code == 200
    assert all(_state_name(_run_of(i)) in WOKEN for i in ids)
