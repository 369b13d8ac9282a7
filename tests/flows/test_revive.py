"""An incident's run that stopped with an error is started again, and the team is told."""

from __future__ import annotations

from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.states import Failed
from sqlalchemy import select

from deployments.host import Host
from deployments.revive import MAX_RESTARTS
from models import db
from models.tables import Message
from record import audit
from tests.support.codes import Codes
from tests.support.host import answer_form, wait_for, waiting_form
from tests.support.lifecycle import REVIEW, incident_run, pending, recent
from tests.support.seed import Seeded, seed_report


def _fail(run_id: str) -> None:
    """The run stops with an error, its retries spent (as a bug or a long outage would)."""
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(UUID(run_id), Failed(message="boom"), force=True)


def _notices(code: str) -> list[str]:
    with db.session_scope() as session:
        rows = session.scalars(select(Message).where(Message.purpose == "team_notice"))
        return [m.body for m in rows if code in m.body and "stopp" in m.body]


def test_a_failed_lifecycle_run_starts_again_where_the_record_stands(
    team: Seeded, host: Host
) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    first = incident_run(code)
    wait_for(lambda: waiting_form(first))
    _fail(first)
    second = wait_for(lambda: incident_run(code) != first and incident_run(code), timeout=60)
    wait_for(lambda: waiting_form(str(second)), timeout=60)  # at the review form again
    assert any("restarted" in line and "handle-incident" in line for line in recent(code))
    assert len(_notices(code)) == 1 and f"1 of {MAX_RESTARTS}" in _notices(code)[0]
    # and it carries on: the review is answered on the new run
    answer_form(str(second), {"reviewer": "ana", "code": codes.later("ana"), **REVIEW})
    assert pending(code, "review_outcome").flow_run_id


def test_after_the_last_restart_care_gives_up_and_says_so(team: Seeded, host: Host) -> None:
    with db.session_scope() as session:
        code = seed_report(session)
    first = incident_run(code)
    wait_for(lambda: waiting_form(first))
    with db.session_scope() as session:  # the restarts were spent on earlier failures
        for attempt in range(1, MAX_RESTARTS + 1):
            audit.record(
                session,
                actor="care",
                action="flow.restarted",
                incident_code=code,
                flow="handle-incident",
                attempt=attempt,
            )
    _fail(first)
    wait_for(lambda: any("gave_up" in line for line in recent(code)), timeout=60)
    assert incident_run(code) == first  # no new run
    assert "gave up" in _notices(code)[-1]
    host.restart_failed()  # the next sweeps say nothing more
    assert len([n for n in _notices(code) if "gave up" in n]) == 1
