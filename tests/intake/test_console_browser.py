"""The console in a real headless Chromium, against a live server on 127.0.0.1.

Set CARE_SCREENSHOTS=docs/screenshots to refresh the README's screenshots.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import db
from models.tables import Note
from policy.signoff import DecisionKind
from record import decisions as decision_svc
from record.incidents import add_note, declare_conflict, get_incident
from tests.support.console import code_now, console_app, next_code
from tests.support.live import chromium, live_server, local_only
from tests.support.seed import SECRETS, seed_report, seed_team

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@dataclass
class Live:
    url: str
    code: str
    decision_id: int
    totp: dict[str, str]
    shots: Path
    browser: Any

    def page(self, **options: Any) -> Any:
        context = self.browser.new_context(**options)
        local_only(context)
        return context.new_page()

    def sign_in(self, page: Any, handle: str, code: str | None = None) -> None:
        page.goto(f"{self.url}/console/incidents/{self.code}")
        page.get_by_label("Your handle").fill(handle)
        page.get_by_label("6-digit code").fill(code or code_now(self.totp[handle]))
        page.get_by_role("button", name="Sign in").click()

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture
def live(sqlite_care: str, browser: Any, tmp_path: Path) -> Iterator[Live]:
    with db.session_scope() as session:
        seeded = seed_team(session)
        incident = get_incident(session, seed_report(session))
        seed_report(session, message_id="web-2", urgent=True)
        decision = decision_svc.propose(
            session,
            kind=DecisionKind.review_outcome,
            summary="violation: yes; severity: moderate; stop_behaviour",
            proposer="ana",
            incident=incident,
        )
        declare_conflict(session, incident, "dev")
        add_note(session, incident, author="ana", body=SECRETS["note"])
        code, decision_id = incident.code, decision.id
    shots = Path(os.environ.get("CARE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    app, _config = console_app()
    with live_server(app) as url:
        yield Live(url, code, decision_id, seeded.totp, shots, browser)


def test_sign_in_read_the_record_and_add_a_note(live: Live) -> None:
    page = live.page(**PHONE)
    page.goto(f"{live.url}/console/")
    live.shot(page, "sign-in-phone")
    live.sign_in(page, "ben")
    assert page.url.endswith(f"/console/incidents/{live.code}")
    expect(page.get_by_text(SECRETS["narrative"])).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    live.shot(page, "record-phone")
    page.get_by_label("Add a note to the record").fill("Checked the badge scan log.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Your note is in the record.")).to_be_visible()
    with db.session_scope() as session:
        assert "Checked the badge scan log." in [n.body for n in session.scalars(select(Note))]
    page.get_by_role("link", name="Waiting for me").click()
    live.shot(page, "waiting-phone")
    page.context.close()


def test_approve_a_decision_with_a_code(live: Live) -> None:
    page = live.page(viewport={"width": 1100, "height": 900})
    live.sign_in(page, "chloe")
    page.goto(f"{live.url}/console/")
    live.shot(page, "waiting-desktop")
    page.get_by_role("link", name="Read the record and answer").click()
    form = page.locator(f"#decision-{live.decision_id}")
    form.get_by_label("Your 6-digit code").fill(next_code(live.totp["chloe"]))
    form.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Your approval is counted.")).to_be_visible()
    assert "Approved by: ana, chloe" in page.locator(f"#decision-{live.decision_id}").inner_text()
    live.shot(page, "record-desktop")
    with db.session_scope() as session:
        decision = decision_svc.get_decision(session, live.decision_id)
        assert decision.status == "approved"
        assert decision_svc.state(session, decision).approvers == ["ana", "chloe"]
    page.context.close()


def test_wrong_codes_are_refused(live: Live) -> None:
    page = live.page(**PHONE)
    live.sign_in(page, "ben", "000000")
    assert page.get_by_role("alert").inner_text().startswith("That did not work")
    live.sign_in(page, "ben")
    form = page.locator(f"#decision-{live.decision_id}")
    form.get_by_label("Your 6-digit code").fill("999999")
    form.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("The code was not right").first).to_be_visible()
    with db.session_scope() as session:
        assert decision_svc.get_decision(session, live.decision_id).status == "pending"
    page.context.close()


def test_a_conflicted_member_is_refused(live: Live) -> None:
    page = live.page(**PHONE)
    live.sign_in(page, "dev")
    expect(page.get_by_text("You have declared a conflict of interest")).to_be_visible()
    assert SECRETS["narrative"] not in page.content()
    live.shot(page, "conflicted-phone")
    response = page.goto(f"{live.url}/console/incidents/{live.code}/export.md")
    assert response is not None and response.status == 403
    page.context.close()
