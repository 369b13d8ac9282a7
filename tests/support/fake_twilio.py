"""A small fake of Twilio's Messages API on 127.0.0.1, for the real twilio client.

It checks Basic auth, answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` with a 201
JSON body like Twilio's, records every request it was sent (with the monotonic time it
arrived) and can be told to fail: a 429 or a 500 for the next requests, a 21211 for a
number, or a slow answer (a timeout for the client).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

SID = "AC" + "0" * 32
TOKEN = "fake-twilio-token"
FROM = "+15005550006"


@dataclass
class Sent:
    to: str
    body: str
    from_: str
    status_callback: str | None
    sid: str | None
    status: int
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival


@dataclass
class FakeTwilio:
    sid: str = SID
    token: str = TOKEN
    requests: list[Sent] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses for the next requests
    bad_numbers: dict[str, int] = field(default_factory=dict)  # number -> Twilio error code
    delay_s: float = 0.0
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests with this HTTP status (429, 500, ...)."""
        self.failures.extend([status] * times)

    def undeliverable(self, number: str, code: int = 21211) -> None:
        """Refuse every message to this number with a Twilio error code."""
        self.bad_numbers[number] = code

    def delivered(self) -> list[Sent]:
        """The requests that were accepted (201)."""
        return [r for r in self.requests if r.status == 201]

    def answer(self, auth: str | None, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """What the fake answers a Messages.json request (and record it)."""
        expected = "Basic " + base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        if auth != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        to = form.get("To", "")
        with self._lock:
            status = self.failures.pop(0) if self.failures else 201
            if status == 201 and to in self.bad_numbers:
                status = 400
            sid = f"SM{next(self._ids):032x}" if status == 201 else None
            self.requests.append(
                Sent(
                    to=to,
                    body=form.get("Body", ""),
                    from_=form.get("From", ""),
                    status_callback=form.get("StatusCallback"),
                    sid=sid,
                    status=status,
                    at=time.monotonic(),
                    wall=time.time(),
                )
            )
        if status == 201:
            return 201, {
                "sid": sid,
                "status": "queued",
                "to": to,
                "from": form.get("From"),
                "body": form.get("Body"),
                "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                "uri": f"/2010-04-01/Accounts/{self.sid}/Messages/{sid}.json",
                "account_sid": self.sid,
            }
        code = self.bad_numbers.get(to, 20429 if status == 429 else 20500)
        return status, {"code": code, "message": f"fake error {code}", "status": status}


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            path = f"/2010-04-01/Accounts/{fake.sid}/Messages.json"
            if self.path != path:
                status, body = 404, {"code": 20404, "message": "not found", "status": 404}
            else:
                status, body = fake.answer(self.headers.get("Authorization"), form)
            if fake.delay_s:
                time.sleep(fake.delay_s)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    """Run the fake on a free port of 127.0.0.1; its base URL is ``fake.url``."""
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def use_fake_twilio(
    monkeypatch: Any,
    fake: FakeTwilio,
    *,
    public_url: str = "https://care.example.org",
    **extra: str,
) -> None:
    """Point CARE's settings at the fake (real credentials shape, fast retries)."""
    from models.settings import get_settings

    env = {
        "CARE_TWILIO_ACCOUNT_SID": fake.sid,
        "CARE_TWILIO_AUTH_TOKEN": fake.token,
        "CARE_TWILIO_FROM_NUMBER": FROM,
        "CARE_TWILIO_API_BASE": fake.url,
        "CARE_PUBLIC_URL": public_url,
        "CARE_SMS_BACKOFF_S": "0.01",
        "CARE_TWILIO_TIMEOUT_S": "2",
        **extra,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
