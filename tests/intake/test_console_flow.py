"""An approval typed into the console, in a real browser, moves the incident's flow on.

The CARE host runs the lifecycle against the test Prefect server. The review is answered
in Prefect's form. Ben then approves the outcome in the console, and the suspended
sign-off run wakes up and completes, so the incident moves on to its conversation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import db
from models.tables import Decision
from policy.status import IncidentStatus
from record import decisions as decisions_svc
from record.incidents import get_incident
from tests.support.care_db import fresh_sqlite, use_care
from tests.support.codes import Codes
from tests.support.console import console_app
from tests.support.host import answer_form, read_run, running_host, wait_for
from tests.support.live import chromium, live_server, local_only
from tests.support.seed import seed_report, seed_team

pytestmark = pytest.mark.e2e
REVIEW = {
    "what_happened": "Unwelcome remarks at the coffee break",
    "category": "harassment",
    "violation": "yes",
    "bad_actors": "P1",
    "intentional": "yes",
    "severity": "medium",
    "resolve_stop_behaviour": True,
    "resolve_do_not_publish_video": False,
    "reporter_explanation": "The behaviour broke the code of conduct.",
}


def _status(code: str) -> str:
    with db.session_scope() as session:
        return get_incident(session, code).status


def _review_decision(code: str) -> Decision | None:
    with db.session_scope() as session:
        for d in decisions_svc.pending_decisions(session, get_incident(session, code)):
            if d.kind == "review_outcome" and d.flow_run_id:
                return d
    return None


def _incident_run(code: str) -> str | None:
    with db.session_scope() as session:
        return get_incident(session, code).flow_run_id


def _completed(run_id: str) -> bool:
    state = read_run(run_id).state
    return state is not None and state.is_completed()


def _approve_in_the_browser(url: str, code: str, decision_id: int, codes: Codes) -> None:
    """Ben signs in on a phone, reads the record and approves with a fresh code.

    Playwright's sync API runs an event loop in this thread while it is open, which makes
    Prefect's sync-or-async calls return coroutines: no Prefect calls in here.
    """
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        local_only(context)
        page = context.new_page()
        page.goto(f"{url}/console/incidents/{code}")
        page.get_by_label("Your handle").fill("ben")
        page.get_by_label("6-digit code").fill(codes("ben"))
        page.get_by_role("button", name="Sign in").click()
        form = page.locator(f"#decision-{decision_id}")
        form.get_by_label("Your 6-digit code").fill(codes("ben"))
        form.get_by_role("button", name="Approve").click()
        expect(page.get_by_text("Your approval is counted.")).to_be_visible()
        context.close()


def test_an_approval_in_the_console_lets_the_flow_continue(
    tmp_path: Path, prefect_server: None
) -> None:
    use_care(tmp_path, fresh_sqlite(tmp_path))
    with db.session_scope() as session:
        codes = Codes(seed_team(session).totp)
    app, _config = console_app()
    with running_host(), live_server(app) as url:
        with db.session_scope() as session:
            code = seed_report(session)
        run_id = str(wait_for(lambda: _incident_run(code)))
        answer_form(run_id, {"reviewer": "ana", "code": codes("ana"), **REVIEW})
        decision = wait_for(lambda: _review_decision(code))
        assert isinstance(decision, Decision) and decision.flow_run_id
        assert _status(code) == IncidentStatus.awaiting_signoff

        _approve_in_the_browser(url, code, decision.id, codes)

        wait_for(lambda: _status(code) == IncidentStatus.in_conversation)
        wait_for(lambda: _completed(str(decision.flow_run_id)))
