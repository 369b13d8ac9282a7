"""WCAG 2.2 AA on the report form and the console, in Chromium, on a desktop and a phone.

axe-core (axe-playwright-python) checks every page: zero serious or critical violations.
What axe does not check is checked here too, as a keyboard or screen-reader user meets it:
every focused control shows a focus ring, every input has a label, a field with a problem
says so and points at the problem, radios and check boxes are at least 24 x 24 px to tap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.care_app import CareApp
from tests.e2e.conftest import needs_chromium

pytestmark = [pytest.mark.e2e, needs_chromium]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}
axe = Axe()


@dataclass
class Case:
    """An incident with a review waiting for sign-off, a note and a conflict; one urgent."""

    code: str
    urgent_code: str
    decision_id: str


@pytest.fixture(scope="module")
def case(care: CareApp) -> Case:
    code = care.report_case_code(
        what_happened="A man kept following me between talks.", involved="A man in a red cap"
    )
    urgent = care.report_case_code(what_happened="Someone is being threatened.", danger="yes")
    signoff = care.review(code, "demo-ana")
    ana = care.console("demo-ana")
    assert ana.post(f"/console/incidents/{code}/notes", {"body": "Checked the log."}).is_success
    dev = care.console("demo-dev")
    assert dev.post(f"/console/incidents/{code}/conflict", {"reason": ""}).is_success
    return Case(code, urgent, signoff.rsplit("-d", 1)[1])


@pytest.fixture(scope="module")
def browser(care: CareApp) -> Iterator[Any]:
    with care.browser() as launched:
        yield launched


def check_page(page: Any, name: str) -> None:
    """axe-core finds nothing serious or critical; and what axe misses holds too."""
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    blocking = [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{name} ({page.url}):\n" + "\n".join(blocking)
    assert not unlabelled(page), f"{name}: inputs without a label: {unlabelled(page)}"
    assert not small_targets(page), f"{name}: smaller than 24x24 px: {small_targets(page)}"
    assert not focus_without_ring(page), f"{name}: no focus ring on {focus_without_ring(page)}"


def unlabelled(page: Any) -> list[str]:
    """Inputs a screen reader could not name: no <label>, aria-label or aria-labelledby."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(e => e.type !== 'hidden')
            .filter(e => !([...(e.labels || [])].some(l => l.textContent.trim())
                           || (e.getAttribute('aria-label') || '').trim()
                           || e.getAttribute('aria-labelledby')))
            .map(e => e.outerHTML.slice(0, 120))"""
        )
    )


def small_targets(page: Any) -> list[str]:
    """Radios and check boxes under 24 x 24 CSS pixels (WCAG 2.5.8, target size minimum)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
            .filter(e => e.getClientRects().length)
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.width < 24 || r.height < 24)
            .map(([e, r]) => `${e.id || e.name} ${r.width}x${r.height}`)"""
        )
    )


def focus_without_ring(page: Any, presses: int = 60) -> list[str]:
    """Tab through the page: each control that takes the focus shows a ring of >= 2 px."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.evaluate("() => window.scrollTo(0, 0)")
    missing: list[str] = []
    seen: set[str] = set()
    for _ in range(presses):
        page.keyboard.press("Tab")
        found = page.evaluate(
            """() => {
              const e = document.activeElement;
              if (!e || e === document.body) return null;
              const s = getComputedStyle(e);
              const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                           || (s.boxShadow && s.boxShadow !== 'none');
              const where = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + ' ' + (e.textContent || e.name || '').trim().slice(0, 40);
              return {where, ring, visible: e.matches(':focus-visible')};
            }"""
        )
        if found is None:
            break
        if found["where"] in seen:
            break  # round the page once
        seen.add(found["where"])
        if not (found["ring"] and found["visible"]):
            missing.append(found["where"])
    return missing


@pytest.mark.parametrize("device", VIEWPORTS)
def test_the_report_form_its_errors_and_the_received_page(
    care: CareApp, browser: Any, device: str
) -> None:
    page = care.page(browser, **VIEWPORTS[device])
    page.goto(f"{care.intake_url}/report")
    check_page(page, "report form")

    # blanks only where the story goes; then a contact that is neither e-mail nor phone
    for story, contact, wrong in (
        ("   ", "", "what_happened"),
        ("A man kept following me between talks.", "call me maybe", "contact"),
    ):
        page.get_by_label("What happened?").fill(story)
        page.get_by_label("E-mail address or phone number").fill(contact)
        with page.expect_navigation():
            page.get_by_role("button", name="Send report").click()
        check_page(page, f"report form with a problem in {wrong}")
        assert_tied_to_its_field(page, wrong)

    page.get_by_label("What happened?").fill("A man kept following me between talks.")
    page.get_by_label("E-mail address or phone number").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()
    assert page.locator("#case-code").inner_text().startswith("DEMO-")
    check_page(page, "report received")
    page.context.close()


def assert_tied_to_its_field(page: Any, field: str) -> None:
    """The field says it is wrong (aria-invalid) and points at its problem (aria-describedby)."""
    control = page.locator(f"#{field}")
    assert control.get_attribute("aria-invalid") == "true", field
    described = (control.get_attribute("aria-describedby") or "").split()
    assert f"{field}-error" in described, described
    for ref in described:
        assert page.locator(f"#{ref}").count() == 1, f"{field} points at a missing #{ref}"
    problem = page.locator(f"#{field}-error").inner_text()
    assert problem and problem in page.locator("#errors").inner_text()
    others = page.locator("[aria-invalid=true]").evaluate_all("all => all.map(e => e.id)")
    assert others == [field], others


@pytest.mark.parametrize("device", VIEWPORTS)
def test_every_console_page(care: CareApp, browser: Any, case: Case, device: str) -> None:
    options = VIEWPORTS[device]
    page = care.page(browser, **options)
    page.goto(f"{care.intake_url}/console/")
    check_page(page, "sign-in")
    page.get_by_label("Your handle").fill("demo-ben")
    page.get_by_label("6-digit code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    check_page(page, "sign-in refused")
    page.context.close()

    page = care.signed_in_page(browser, "demo-ben", **options)
    pages = {
        "waiting for me": "/console/",
        "incidents": "/console/incidents",
        "incident record": f"/console/incidents/{case.code}",
        "decision": f"/console/decisions/{case.decision_id}",
        "urgent incident": f"/console/incidents/{case.urgent_code}",
        "no such incident": "/console/incidents/NOPE-1",
    }
    for name, path in pages.items():
        page.goto(f"{care.intake_url}{path}")
        check_page(page, name)
    page.goto(f"{care.intake_url}/console/")
    for href in page.locator("header nav a").evaluate_all("links => links.map(a => a.href)"):
        page.goto(href)  # every page the menu offers (an outbox, settings ... as they come)
        check_page(page, f"menu: {href}")

    form = page.goto(f"{care.intake_url}/console/incidents/{case.code}")
    assert form is not None and form.ok
    answer = page.locator(f"#decision-{case.decision_id}")
    answer.get_by_label("Your 6-digit code").fill("999999")
    answer.get_by_role("button", name="Approve").click()
    page.get_by_role("alert").first.wait_for()
    check_page(page, "decision refused")
    page.context.close()

    page = care.signed_in_page(browser, "demo-dev", **options)
    page.goto(f"{care.intake_url}/console/incidents/{case.code}")
    assert "declared a conflict" in page.content()
    check_page(page, "conflicted member's view")
    page.context.close()
