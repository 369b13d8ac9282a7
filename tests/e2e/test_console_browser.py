"""The console in a real headless Chromium, against CARE's embedded default started as `make run`.

A web report is reviewed by demo-ana in the Prefect form (through its REST API, as the UI
does); the members then read the record, add a note, are refused with wrong codes or a
conflict, and approve the review, all in the browser.
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

from tests.e2e.care_app import CareApp, sign_in_in_browser
from tests.e2e.conftest import needs_chromium

pytestmark = [pytest.mark.e2e, needs_chromium]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1100, "height": 900}}
NARRATIVE = "He cornered me by the coffee urn and would not let me pass."
NOTE = "Spoke to the venue about the camera near the coffee urn."


@dataclass
class Live:
    care: CareApp
    code: str
    decision_id: str
    shots: Path
    browser: Any

    def page(self, **options: Any) -> Any:
        return self.care.page(self.browser, **options)

    def sign_in(self, page: Any, handle: str, code: str | None = None) -> None:
        sign_in_in_browser(page, self.care, handle, code)

    def record(self, page: Any) -> None:
        page.goto(f"{self.care.intake_url}/console/incidents/{self.code}")

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def live(care: CareApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    code = care.report_case_code(what_happened=NARRATIVE, where="Hall B")
    care.report_case_code(what_happened="Someone is shouting at a speaker.", danger="yes")
    decision_id = care.review(code, "demo-ana").rsplit("-d", 1)[1]
    dev = care.console("demo-dev")
    assert dev.post(f"/console/incidents/{code}/conflict", {"reason": ""}).is_success
    ana = care.console("demo-ana")
    assert ana.post(f"/console/incidents/{code}/notes", {"body": NOTE}).is_success
    shots = Path(os.environ.get("CARE_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    with care.browser() as browser:
        yield Live(care, code, decision_id, shots, browser)


def test_sign_in_read_the_record_and_add_a_note(live: Live) -> None:
    page = live.page(**PHONE)
    page.goto(f"{live.care.intake_url}/console/")
    live.shot(page, "sign-in-phone")
    live.sign_in(page, "demo-ben")
    live.record(page)
    expect(page.get_by_text(NARRATIVE)).to_be_visible()
    expect(page.get_by_text(NOTE)).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    live.shot(page, "record-phone")
    page.get_by_label("Add a note to the record").fill("Checked the badge scan log.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Your note is in the record.")).to_be_visible()
    expect(page.get_by_text("Checked the badge scan log.")).to_be_visible()
    export = live.care.console("demo-chloe").get(f"/console/incidents/{live.code}/export.md")
    assert "Checked the badge scan log." in export.text  # in the record, for the whole team
    page.get_by_role("link", name="Waiting for me").click()
    live.shot(page, "waiting-phone")
    page.context.close()


def test_wrong_codes_are_refused(live: Live) -> None:
    page = live.page(**PHONE)
    live.sign_in(page, "demo-ben", "000000")
    assert page.get_by_role("alert").inner_text().startswith("That did not work")
    live.sign_in(page, "demo-ben")
    live.record(page)
    form = page.locator(f"#decision-{live.decision_id}")
    form.get_by_label("Your 6-digit code").fill("999999")
    form.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("The code was not right").first).to_be_visible()
    live.record(page)
    decision = page.locator(f"#decision-{live.decision_id}")
    expect(decision.locator(".badge")).to_have_text("pending")
    assert "not counted" in decision.inner_text()
    page.context.close()


def test_a_conflicted_member_is_refused(live: Live) -> None:
    page = live.page(**PHONE)
    live.sign_in(page, "demo-dev")
    live.record(page)
    expect(page.get_by_text("You have declared a conflict of interest")).to_be_visible()
    assert NARRATIVE not in page.content()
    live.shot(page, "conflicted-phone")
    response = page.goto(f"{live.care.intake_url}/console/incidents/{live.code}/export.md")
    assert response is not None and response.status == 403
    page.context.close()


def test_approve_a_decision_with_a_code(live: Live) -> None:
    page = live.page(**DESKTOP)
    live.sign_in(page, "demo-chloe")
    page.goto(f"{live.care.intake_url}/console/")
    live.shot(page, "waiting-desktop")
    page.locator(f"#decision-{live.decision_id}").get_by_role(
        "link", name="Read the record and answer"
    ).click()
    form = page.locator(f"#decision-{live.decision_id}")
    form.get_by_label("Your 6-digit code").fill(live.care.codes.code("demo-chloe"))
    form.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Your approval is counted.")).to_be_visible()
    decision = page.locator(f"#decision-{live.decision_id}")
    assert "Approved by: demo-ana, demo-chloe" in decision.inner_text()
    expect(decision.locator(".badge")).to_have_text("approved")
    live.shot(page, "record-desktop")
    page.context.close()
