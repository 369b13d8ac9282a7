"""A live uvicorn server on 127.0.0.1 (socket bound to port 0) in a thread, and a browser."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve the app in a thread; yield its base URL; stop it afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def local_only(page_or_context: Any) -> None:
    """Abort every request that is not aimed at 127.0.0.1."""

    def handle(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "https://127.0.0.1:")):
            route.continue_()
        else:
            route.abort()

    page_or_context.route("**/*", handle)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless chromium driven by Playwright (skips if either is missing)."""
    import pytest

    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make browser)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()
