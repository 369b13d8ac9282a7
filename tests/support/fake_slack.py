"""A small fake Slack Web API on 127.0.0.1 for the real ``slack_sdk`` client.

It records every call (method, arguments, raw body), answers ``ok`` the way Slack does,
and can be told to fail the next calls of a method with a Slack error or an HTTP 429.
``on_call``, if set, is told of each call as it arrives (bench/intake.py times DMs by it).
``POST /response/...`` stands in for an interaction's ``response_url``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from models.settings import get_settings

TOKEN = "xoxb-care-test-token"
SIGNING_SECRET = "care-test-signing-secret"
TEAM_CHANNEL = "CTEAM0001"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    raw: bytes
    authorization: str | None


@dataclass
class Failure:
    error: str
    status: int = 200
    retry_after: int | None = None


@dataclass
class FakeSlack:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""
    counter: int = 0
    on_call: Callable[[Call], None] | None = None  # told of each call once it is recorded

    def fail(self, method: str, error: str, *, status: int = 200, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail with Slack's ``error``."""
        retry_after = 0 if status == 429 else None
        with self.lock:
            queue = self.failures.setdefault(method, [])
            queue.extend(Failure(error, status, retry_after) for _ in range(times))

    def of(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def everything_sent(self) -> str:
        """Every byte any client sent, decoded: for searching for personal data."""
        with self.lock:
            return "\n".join(c.raw.decode("utf-8", "replace") for c in self.calls)

    def answer(self, method: str, args: dict[str, Any], auth: str | None) -> Failure | dict:
        with self.lock:
            queue = self.failures.get(method) or []
            if queue:
                return queue.pop(0)
            self.counter += 1
            n = self.counter
        if method == "response_url":
            return {"ok": True}
        if auth != f"Bearer {self.token}":
            return Failure("invalid_auth")
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{n:06d}"
            return {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.{n:06d}"}
        if method == "views.open":
            return {"ok": True, "view": {"id": f"VFAKE{n:06d}"}}
        return {"ok": True}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/api/"):
            method = self.path[len("/api/") :].split("?")[0]
        elif self.path.startswith("/response/"):
            method = "response_url"
        else:
            self._send(404, {"ok": False, "error": "unknown_path"})
            return
        if "json" in (self.headers.get("Content-Type") or ""):
            args = json.loads(raw or b"{}")
        else:
            args = dict(parse_qsl(raw.decode()))
        fake = self.server.fake
        auth = self.headers.get("Authorization")
        call = Call(method, args, raw, auth)
        with fake.lock:
            fake.calls.append(call)
        if fake.on_call is not None:
            fake.on_call(call)
        outcome = fake.answer(method, args, auth)
        if isinstance(outcome, Failure):
            headers = {}
            if outcome.retry_after is not None:
                headers["Retry-After"] = str(outcome.retry_after)
            self._send(outcome.status, {"ok": False, "error": outcome.error}, headers)
        else:
            self._send(200, outcome)

    def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


@contextmanager
def running_fake_slack() -> Iterator[FakeSlack]:
    """Start the fake on a free port of 127.0.0.1; stop it afterwards."""
    server = _Server(("127.0.0.1", 0), _Handler)
    fake = FakeSlack()
    server.fake = fake
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def slack_configured(fake: FakeSlack) -> Iterator[FakeSlack]:
    """Point CARE's settings at the fake (inside the database fixture); undo it afterwards."""
    values = {
        "CARE_SLACK_BOT_TOKEN": fake.token,
        "CARE_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "CARE_SLACK_TEAM_CHANNEL": TEAM_CHANNEL,
        "CARE_SLACK_API_BASE": f"{fake.base_url}/api/",
    }
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield fake
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
