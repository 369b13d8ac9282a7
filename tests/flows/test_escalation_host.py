"""The escalation as the CARE host runs it: the first page before Prefect, the Prefect form.

Against a real Prefect server and the real twilio client; the fake Twilio API records when
each SMS request arrived.
"""

from __future__ import annotations

import pytest

from models import db
from record.incidents import get_incident
from tests.support.codes import Codes
from tests.support.escalation import (
    ack,
    audit_actions,
    completed,
    escalation_run,
    first_responder,
    paged,
    pages,
    urgent_incident,
    wait_for,
)
from tests.support.fake_twilio import FakeTwilio
from tests.support.host import answer_form, form_description, read_run, running_host, waiting_form

pytestmark = pytest.mark.usefixtures("prefect_server", "warm")


def test_the_host_starts_the_escalation_of_an_urgent_report(fake: FakeTwilio) -> None:
    with running_host():
        urgent = urgent_incident([{"target": "primary", "wait_s": 30}])
        wait_for(lambda: len(fake.delivered()) >= 1, what="the host's escalation")
        assert paged(fake) == ["ana"]
        form = wait_for(lambda: ack_form_run(urgent.code), what="the acknowledgement form")
        ack(urgent.code, "ana")  # taken in the console: the run ends, and closes the form
        run_id = wait_for(lambda: escalation_run(urgent.code), what="the escalation run")
        runs = (run_id, form)
        wait_for(lambda: all(completed(r) for r in runs), what="the runs to end")
        assert read_run(run_id).name == f"escalate-{urgent.code}"
        assert paged(fake) == ["ana"]


def test_the_first_page_does_not_wait_for_prefect(fake: FakeTwilio) -> None:
    """Prefect cannot create the escalation's run (its deployment is gone): the primary is
    paged anyway, and the next step too, on the timetable kept from the report (the
    time-keeper pages by the record). Once the run exists it pages nobody twice."""
    from prefect.client.orchestration import get_client

    steps = [{"target": "primary", "wait_s": 3}, {"target": "secondary", "wait_s": 30}]
    with running_host() as host:
        with get_client(sync_client=True) as client:
            client.delete_deployment(host.deployments["escalate-incident"])
        urgent = urgent_incident(steps)
        wait_for(lambda: len(fake.delivered()) >= 1, what="the first page")
        assert paged(fake) == ["ana"]
        with db.session_scope() as session:
            assert get_incident(session, urgent.code).escalation_flow_run_id is None
        host.register_deployments()  # Prefect has the deployment again: the run starts
        wait_for(lambda: len(fake.delivered()) >= 2, what="the second step")
        assert paged(fake) == ["ana", "ben"]
        assert fake.delivered()[1].wall - urgent.urgent_at >= 3  # on the report's timetable
        run_id = wait_for(lambda: escalation_run(urgent.code), what="the escalation run")
        ack(urgent.code, "ben")
        wait_for(lambda: read_run(run_id).state_name == "Completed", what="the run to end")
    assert pages(urgent.code) == [(0, "ana", "sms", "sent"), (1, "ben", "sms", "sent")]


def ack_form_run(code: str) -> str | None:
    """The id of the incident's `acknowledge-urgent` run, once it waits with its form."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"acknowledge-{code}"]))
        )
    return str(runs[0].id) if runs and waiting_form(runs[0].id) else None


def test_a_member_takes_the_case_in_the_prefect_ui(fake: FakeTwilio) -> None:
    steps = [{"target": "primary", "wait_s": 30}, {"target": "secondary", "wait_s": 30}]
    with running_host():
        urgent = urgent_incident(steps)
        codes = Codes(urgent.totp)
        form = wait_for(lambda: ack_form_run(urgent.code), what="the acknowledgement form")
        assert "URGENT" in form_description(form) and "not counted" not in form_description(form)
        answer_form(form, {"member": "ben", "code": "000000"})  # a wrong code: refused
        wait_for(lambda: "not counted" in form_description(form), what="the refusal")
        assert first_responder(urgent.code) is None
        answer_form(form, {"member": "ben", "code": codes.later("ben")})
        wait_for(lambda: first_responder(urgent.code) == "ben", what="ben's acknowledgement")
        run_id = wait_for(lambda: escalation_run(urgent.code), what="the escalation run")
        runs = (run_id, form)
        wait_for(lambda: all(completed(r) for r in runs), what="the runs to end")
    acks = [
        (who, detail) for who, action, detail in audit_actions(urgent.code) if action == "page.ack"
    ]
    assert len(acks) == 1 and acks[0][0] == "ben" and '"channel":"ui"' in acks[0][1]
    assert paged(fake) == ["ana"]  # the secondary was never paged
