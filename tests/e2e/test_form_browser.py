"""The form in a real browser with JavaScript off, filled in and sent with the keyboard only."""

from __future__ import annotations

import re

import pytest

from tests.e2e.care_app import CareApp
from tests.e2e.conftest import needs_chromium

pytestmark = [pytest.mark.e2e, needs_chromium]


def _tab_to(page: object, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        if page.evaluate(f"document.activeElement.matches({selector!r})"):  # type: ignore[attr-defined]
            return
    raise AssertionError(f"{selector} cannot be reached with the keyboard")


def test_a_report_can_be_sent_with_the_keyboard_and_no_javascript(care: CareApp) -> None:
    with care.browser() as browser:
        page = care.page(browser, java_script_enabled=False, viewport={"width": 390, "height": 844})
        page.goto(f"{care.intake_url}/report")
        assert page.evaluate("1") == 1  # the test's probes run (CDP); the page's would not
        assert page.locator("script").count() == 0  # the form ships no JavaScript at all
        _tab_to(page, "#danger-no")
        page.keyboard.press("ArrowRight")  # radio group: "yes, someone is in danger"
        _tab_to(page, "#what_happened")
        page.keyboard.type("A man kept following me between talks.")
        _tab_to(page, "#contact")
        page.keyboard.type("reporter@example.net")
        _tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector("#case-code")
        assert re.fullmatch(r"DEMO-\d+", page.locator("#case-code").inner_text())
        assert "being alerted now" in " ".join(page.get_by_role("alert").inner_text().split())
