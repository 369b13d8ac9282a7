"""A sign-off given in the Prefect UI, in a real browser, against a real `prefect server`.

The review of an incident is answered through the API (as the UI's resume does); the
sign-off form of its `collect-signoff` run is then filled and submitted in headless
Chromium: first by a member with a wrong authenticator code (refused, the run waits on),
then by a second member with a valid code (approved; the incident moves on).
The form's screenshot goes to a temporary folder; `make screenshots` (CARE_SCREENSHOTS set)
writes it to docs/screenshots/ for the README.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from models import db
from models.tables import Approval, Decision
from policy.signoff import DecisionStatus
from policy.status import IncidentStatus
from tests.support.care_db import fresh_sqlite, use_care
from tests.support.codes import Codes
from tests.support.host import (
    answer_form,
    form_description,
    read_run,
    running_host,
    wait_for,
    waiting_form,
)
from tests.support.lifecycle import REVIEW, completed, incident_run, pending, status
from tests.support.prefect_server import care_prefect_server
from tests.support.seed import Seeded, seed_report, seed_team

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]
VIEWPORT: Any = {"width": 1280, "height": 1200}  # a desktop; the whole resume dialog fits
WAIT_MS = 30_000  # generous: the machine may be loaded
log = logging.getLogger("care.test.e2e")


@pytest.fixture
def prefect_ui(tmp_path: Path) -> Iterator[str]:
    """CARE's Prefect server with its UI, on a free port with its own home."""
    with care_prefect_server(tmp_path, ui=True) as base:
        yield base


@pytest.fixture
def browser_team(tmp_path: Path, prefect_ui: str) -> Iterator[Seeded]:
    use_care(tmp_path, fresh_sqlite(tmp_path))
    with db.session_scope() as session:
        seeded = seed_team(session)
    with running_host():
        yield seeded


def _sign(page: Any, base: str, run_id: str, member: str, code: str, shot: Path | None) -> None:
    """Open the run in the v2 UI, fill the sign-off form and press Resume."""
    wait_for(lambda: waiting_form(run_id), timeout=60)  # else v2 hangs on a skeleton
    page.goto(f"{base}/v2/runs/flow-run/{run_id}")
    page.get_by_role("button", name="Open menu").click(timeout=WAIT_MS)
    page.get_by_role("menuitem", name="Resume").click()
    dialog = page.get_by_role("dialog", name="Resume Flow Run")
    for _ in range(3):  # the page re-renders as it polls the run; fill until it holds
        _choose(page, dialog, "You are", member)
        _choose(page, dialog, "Do you approve it?", "I approve")
        dialog.get_by_role("textbox", name="Your authenticator code").fill(code)
        dialog.get_by_role("textbox", name="Your comment (Optional)").fill(
            "Read the record; agreed."
        )
        if _holds(dialog, member, code):
            break
    else:
        raise AssertionError("the sign-off form did not keep its values")
    if shot is not None:
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
    _submit(page, dialog)


def _choose(page: Any, dialog: Any, field: str, value: str) -> None:
    """Pick a value of a Literal field (a button that opens a list of options)."""
    select_button = dialog.get_by_role("button", name=f"Select {field}")
    for _ in range(5):
        select_button.click(timeout=WAIT_MS)
        try:
            page.get_by_role("option", name=value, exact=True).click(timeout=5_000)
        except PlaywrightTimeout:  # the list was re-rendered away under the click
            page.keyboard.press("Escape")
            continue
        if select_button.inner_text().strip() == value:
            return
    raise AssertionError(f"could not choose {value} as {field}")


def _holds(dialog: Any, member: str, code: str) -> bool:
    return bool(
        dialog.get_by_role("button", name="Select You are").inner_text().strip() == member
        and dialog.get_by_role("button", name="Select Do you approve it?").inner_text().strip()
        == "I approve"
        and dialog.get_by_role("textbox", name="Your authenticator code").input_value() == code
    )


def _submit(page: Any, dialog: Any, tries: int = 3) -> None:
    """Press Resume. Under load the SQLite Prefect server may answer 503 (database is
    locked) and the dialog stays open: a member presses again, and so does this test."""
    for _ in range(tries):
        with page.expect_response(_is_resume, timeout=WAIT_MS) as response:
            dialog.get_by_role("button", name="Resume", exact=True).click()
        if response.value.status < 500:
            break
        log.warning("resume answered %s; pressing Resume again", response.value.status)
    assert response.value.status == 201, response.value.text()
    dialog.wait_for(state="hidden", timeout=WAIT_MS)


def _is_resume(response: Any) -> bool:
    return bool(response.request.method == "POST" and response.url.endswith("/resume"))


def _approvals(decision_id: int) -> list[tuple[str, bool, str | None, str]]:
    with db.session_scope() as session:
        rows = session.scalars(
            select(Approval).where(Approval.decision_id == decision_id).order_by(Approval.id)
        )
        return [(a.claimed_handle, a.counted, a.refusal, a.channel) for a in rows]


def _decision_status(decision_id: int) -> str:
    with db.session_scope() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        return decision.status


def test_two_members_sign_off_in_the_prefect_ui(
    browser_team: Seeded, prefect_ui: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    codes = Codes(browser_team.totp)
    shot = Path(os.environ.get("CARE_SCREENSHOTS") or tmp_path) / "prefect-signoff.png"
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    answer_form(run_id, {"reviewer": "ana", "code": codes.later("ana"), **REVIEW})
    review = pending(code, "review_outcome")
    signoff_run = review.flow_run_id or ""

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.route(  # the v2 UI calls an analytics host even with analytics off
                "**/*",
                lambda r: r.continue_() if r.request.url.startswith(prefect_ui) else r.abort(),
            )
            _sign(page, prefect_ui, signoff_run, "chloe", "000000", shot)
            wait_for(lambda: "chloe: bad_code" in form_description(signoff_run), timeout=60)
            state = read_run(signoff_run).state
            assert state is not None and state.is_paused()
            assert _approvals(review.id) == [("chloe", False, "bad_code", "ui")]
            assert _decision_status(review.id) == DecisionStatus.pending
            assert shot.stat().st_size > 10_000  # the form, as the README shows it

            _sign(page, prefect_ui, signoff_run, "ben", codes("ben"), None)
        finally:
            browser.close()

    wait_for(lambda: completed(signoff_run), timeout=60)
    assert _decision_status(review.id) == DecisionStatus.approved
    assert _approvals(review.id)[-1] == ("ben", True, None, "ui")
    # the run keeps the incident code in its name: members find it in the run list
    assert read_run(signoff_run).name == f"signoff-{code}-d{review.id}"
    wait_for(lambda: status(code) == IncidentStatus.in_conversation, timeout=60)
