"""The form in a real browser with JavaScript off, filled in and sent with the keyboard only."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from intake.app import create_app
from models import db
from tests.support.seed import seed_team

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]


@pytest.fixture
def base_url(sqlite_care: str) -> Iterator[str]:
    with db.session_scope() as session:
        seed_team(session)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _tab_to(page: object, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        if page.evaluate(f"document.activeElement.matches({selector!r})"):  # type: ignore[attr-defined]
            return
    raise AssertionError(f"{selector} cannot be reached with the keyboard")


def test_a_report_can_be_sent_with_the_keyboard_and_no_javascript(base_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            context = browser.new_context(
                java_script_enabled=False, viewport={"width": 390, "height": 844}
            )
            page = context.new_page()
            page.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith(base_url) else r.abort()
            )
            page.goto(f"{base_url}/report")
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
            assert page.locator("#case-code").inner_text() == "DCE26-1"
            assert "being alerted now" in " ".join(page.get_by_role("alert").inner_text().split())
        finally:
            browser.close()
