"""A sign-off given in the Prefect UI, in a real browser, against CARE started as `make run`.

The review of an incident is answered through Prefect's REST API (as the UI's resume does); the
sign-off form of its `collect-signoff` run is then filled and submitted in headless
Chromium: first by a member with a wrong authenticator code (refused, the run waits on),
then by a second member with a valid code (approved; the incident moves on).
The form's screenshot goes to a temporary folder; `make screenshots` (CARE_SCREENSHOTS set)
writes it to docs/screenshots/ for the README.
"""

from __future__ import annotations

import logging
import os
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.care_app import CareApp, wait_for
from tests.e2e.conftest import needs_chromium

pytestmark = [pytest.mark.e2e, needs_chromium]
VIEWPORT: Any = {"width": 1280, "height": 1200}  # a desktop; the whole resume dialog fits
WAIT_MS = 30_000  # generous: the machine may be loaded
log = logging.getLogger("care.test.e2e")


def _sign(care: CareApp, page: Any, run_id: str, member: str, code: str, shot: Path | None) -> None:
    """Open the run in the v2 UI, fill the sign-off form and press Resume."""
    care.prefect.wait_for_form(run_id, timeout=60)  # else v2 hangs on a skeleton
    page.goto(f"{care.prefect_url}/v2/runs/flow-run/{run_id}")
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


def _decision(care: CareApp, code: str, decision_id: str) -> str:
    """The decision as the record page shows it to a member, as plain text."""
    page = care.console("demo-dev").get(f"/console/incidents/{code}").text
    found = re.search(
        rf'<section class="card" id="decision-{decision_id}">(.*?)</section>', page, re.S
    )
    assert found is not None, page[:2000]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def test_two_members_sign_off_in_the_prefect_ui(care: CareApp, tmp_path: Path) -> None:
    shot = Path(os.environ.get("CARE_SCREENSHOTS") or tmp_path) / "prefect-signoff.png"
    code = care.report_case_code(what_happened="Unwelcome remarks at the coffee break.")
    signoff = care.review(code, "demo-ana")
    decision_id = signoff.rsplit("-d", 1)[1]
    signoff_run = care.prefect.wait_for_run(signoff)

    with care.browser() as browser:
        page = care.page(browser, viewport=VIEWPORT)
        _sign(care, page, signoff_run, "demo-chloe", "000000", shot)
        wait_for(
            lambda: (
                "The answer of demo-chloe was not counted"
                in care.prefect.wait_for_form(signoff_run)["description"]
            ),
            timeout=60,
        )
        assert care.prefect.state(signoff_run) == "PAUSED"
        decision = _decision(care, code, decision_id)
        assert re.search(r"demo-chloe approved via ui, .*: not counted \(bad code\)", decision)
        assert decision.split()[2] == "pending", decision  # "review outcome pending ..."
        assert shot.stat().st_size > 10_000  # the form, as the README shows it

        _sign(care, page, signoff_run, "demo-ben", care.codes.code("demo-ben"), None)

    wait_for(lambda: care.prefect.state(signoff_run) == "COMPLETED", timeout=60)
    assert "demo-ben approved via ui" in _decision(care, code, decision_id)
