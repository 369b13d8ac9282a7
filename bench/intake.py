"""How fast a reporter hears back: report sent -> acknowledgement arrived, per channel.

Runs the intake app with uvicorn on 127.0.0.1 (a socket bound to port 0) against a temporary
data directory (SQLite, the embedded default), with SMTP pointed at an aiosmtpd server in
this process: "acknowledged" means the mail arrived there. Channels:

- web:   POST /reports (JSON) to the live service
- slack: a signed submission of the `/coc-report` form (view_submission) to the live
         service's /slack/interactivity, from a Slack user id of its own; Slack's Web API is
         the fake in tests/support/fake_slack.py (set up for this channel only), and
         "acknowledged" means the direct message to that user arrived there (the team
         channel's notice does not count)
- email: `care intake email` as an MTA would run it (a new process per message)
- staff: `care report --relayed-by ...` (a new process per report)

A channel is a ``Channel`` in ``CHANNELS``: a function that sends one report whose reporter
can be reached at ``recipient``, and the fake server that records its arrival calls
``Bench.arrived(recipient)``. Then a burst: 50 web reports in 10 s. Baselines, measured
in the same run: one plain SMTP send to the same server, and starting `care --help` (the
floor for the channels that start a process per report). JSON on the last line.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = {"web": 20, "slack": 20, "email": 8, "staff": 8}
BURST, BURST_WINDOW_S, ACK_TIMEOUT_S = 50, 10.0, 120.0


@dataclass
class Bench:
    base_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    arrivals: dict[str, float] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def arrived(self, recipient: str) -> None:
        with self.cond:
            self.arrivals.setdefault(recipient, time.monotonic())
            self.cond.notify_all()

    def wait(self, recipients: list[str], timeout: float = ACK_TIMEOUT_S) -> dict[str, float]:
        with self.cond:
            self.cond.wait_for(lambda: all(r in self.arrivals for r in recipients), timeout)
            return {r: self.arrivals[r] for r in recipients if r in self.arrivals}

    def care(self, *args: str, stdin: bytes) -> None:
        subprocess.run(
            [sys.executable, "-m", "care_cli.main", *args],
            input=stdin,
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=120,
        )


def email_address(name: str, i: int) -> str:
    return f"{name}{i}@example.net"


def no_setup(bench: Bench) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass(frozen=True)
class Channel:
    send: Callable[[Bench, str], None]
    address: Callable[[str, int], str] = email_address  # the i-th sample's recipient
    setup: Callable[[Bench], AbstractContextManager[None]] = no_setup  # around its samples


def send_web(bench: Bench, recipient: str) -> None:
    import httpx

    body = {"what_happened": "bench report", "contact": recipient, "consent_to_contact": True}
    answer = httpx.post(f"{bench.base_url}/reports", json=body, timeout=30)
    answer.raise_for_status()


def send_slack(bench: Bench, user_id: str) -> None:
    import httpx

    from tests.support import slack_requests as sr

    payload = sr.submission(user=user_id, view_id=f"V{user_id}", narrative="bench report")
    body = sr.interaction_body(payload)
    headers = sr.signed(body, content_type=sr.FORM)
    url = f"{bench.base_url}/slack/interactivity"
    answer = httpx.post(url, content=body, headers=headers, timeout=30)
    answer.raise_for_status()
    if answer.json().get("response_action") != "update":
        raise RuntimeError(f"slack form not accepted: {answer.text[:200]}")


def slack_user(name: str, i: int) -> str:
    return f"UBENCH{i:04d}"


@contextmanager
def fake_slack(bench: Bench) -> Iterator[None]:
    """The fake Slack Web API, with CARE pointed at it; a DM to a user is their ack."""
    from tests.support.fake_slack import (
        TEAM_CHANNEL,
        Call,
        running_fake_slack,
        slack_configured,
    )

    def on_call(call: Call) -> None:
        channel = str(call.args.get("channel") or "")
        if call.method == "chat.postMessage" and channel and channel != TEAM_CHANNEL:
            bench.arrived(channel)

    with running_fake_slack() as fake, slack_configured(fake):
        fake.on_call = on_call
        yield


def send_email(bench: Bench, recipient: str) -> None:
    mail = EmailMessage()
    mail["From"] = recipient
    mail["To"] = "conduct@example.org"
    mail["Subject"] = "bench report"
    mail["Message-ID"] = f"<{recipient.replace('@', '.')}@bench>"
    mail.set_content("Something happened at the bench.")
    bench.care("intake", "email", stdin=mail.as_bytes())


def send_staff(bench: Bench, recipient: str) -> None:
    args = ["report", "--relayed-by", "ana", "--reporter-contact", recipient, "--consent"]
    bench.care(*args, stdin=b"A participant told me something happened.\n")


CHANNELS: dict[str, Channel] = {
    "web": Channel(send_web),
    "slack": Channel(send_slack, address=slack_user, setup=fake_slack),
    "email": Channel(send_email),
    "staff": Channel(send_staff),
}


def measure(bench: Bench, name: str, count: int) -> list[float]:
    """Seconds from sending each report to its acknowledgement arriving (one at a time)."""
    channel, times = CHANNELS[name], []
    with channel.setup(bench):
        for i in range(count):
            recipient = channel.address(name, i)
            start = time.monotonic()
            channel.send(bench, recipient)
            arrived = bench.wait([recipient]).get(recipient)
            times.append((arrived - start) if arrived else float("inf"))
    return times


def burst(bench: Bench) -> dict[str, Any]:
    """50 web reports spread over 10 s from concurrent clients; wait for every ack."""
    recipients = [f"burst{i}@example.net" for i in range(BURST)]
    start = time.monotonic()
    threads = []
    for i, recipient in enumerate(recipients):
        delay = start + i * BURST_WINDOW_S / BURST - time.monotonic()
        time.sleep(max(0.0, delay))
        thread = threading.Thread(target=send_web, args=(bench, recipient))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    arrived = bench.wait(recipients)
    return {
        "burst_sent": BURST,
        "burst_stored": stored_reports("burst"),
        "burst_acked": len(arrived),
        "burst_last_ack_s": round(max(arrived.values()) - start, 3) if arrived else None,
    }


def stored_reports(prefix: str) -> int:
    from sqlalchemy import select

    from models import db
    from models.tables import Report

    with db.session_scope() as session:
        contacts = session.scalars(select(Report.reporter_contact))
        return sum(1 for c in contacts if c and c.startswith(prefix))


def baseline(bench: Bench, count: int = 20) -> list[float]:
    """One plain SMTP send of a small message (no intake, no database) to the same server."""
    from adapters.outgoing import MessageOut
    from adapters.smtp import send

    times = []
    for i in range(count):
        recipient = f"baseline{i}@example.net"
        start = time.monotonic()
        send(MessageOut(i, "email", "bench", recipient, "s", "b", {}, f"b{i}"))
        arrived = bench.wait([recipient]).get(recipient)
        times.append((arrived - start) if arrived else float("inf"))
    return times


def cli_start(bench: Bench, count: int = 5) -> list[float]:
    """Starting the `care` command and doing nothing (`care --help`): the floor of a pipe."""
    times = []
    for _ in range(count):
        start = time.monotonic()
        bench.care("--help", stdin=b"")
        times.append(time.monotonic() - start)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 4)


class Recorder:
    """aiosmtpd handler: every accepted message counts as arrived for its recipients."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            self.bench.arrived(recipient)
        return "250 OK"


@contextmanager
def environment(bench: Bench, data_dir: Path) -> Iterator[None]:
    """A fresh CARE (SQLite in ``data_dir``) with an event and a member, SMTP to aiosmtpd."""
    from aiosmtpd.controller import Controller

    from models import db, migrate
    from models.settings import get_settings
    from record.events import add_event
    from record.members import add_member

    port = free_port()
    smtp = Controller(Recorder(bench), hostname="127.0.0.1", port=port)
    smtp.start()
    for name in [n for n in os.environ if n.startswith("CARE_")]:
        del os.environ[name]
    os.environ.update(
        CARE_DATA_DIR=str(data_dir),
        CARE_SMTP_HOST="127.0.0.1",
        CARE_SMTP_PORT=str(port),
        CARE_INTAKE_RATE_LIMIT="100000/minute",  # every client here is 127.0.0.1
    )
    get_settings.cache_clear()
    migrate.upgrade()
    db.configure()
    today = date.today()
    with db.session_scope() as session:
        add_event(
            session,
            slug_="bench",
            name="Bench",
            code_prefix="BENCH",
            starts_on=today,
            ends_on=today,
            timezone_="UTC",
        )
        add_member(session, handle_="ana", display_name="Ana")
    bench.env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        yield
    finally:
        smtp.stop()


@contextmanager
def serve(bench: Bench) -> Iterator[None]:
    """The intake app under uvicorn on 127.0.0.1, on a socket bound to port 0."""
    import uvicorn

    from intake.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    bench.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(create_app(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="care-bench-") as data_dir:
        bench = Bench()
        with environment(bench, Path(data_dir)), serve(bench):
            base, start = baseline(bench), cli_start(bench)
            samples = {name: measure(bench, name, SAMPLES.get(name, 5)) for name in CHANNELS}
            result: dict[str, Any] = {
                "ack_p50_s": {n: pct(v, 0.5) for n, v in samples.items()},
                "ack_p95_s": {n: pct(v, 0.95) for n, v in samples.items()},
                "baseline_smtp_p50_s": pct(base, 0.5),
                "baseline_cli_start_p50_s": pct(start, 0.5),
            }
            result["ratio_p50_to_baseline"] = {
                n: round(p / max(result["baseline_smtp_p50_s"], 1e-6), 1)
                for n, p in result["ack_p50_s"].items()
            }
            result |= burst(bench)
    for name, values in samples.items():
        print(
            f"{name:6} n={len(values):3} p50={pct(values, 0.5):.3f}s p95={pct(values, 0.95):.3f}s"
        )
    print(
        f"baseline: SMTP send p50 {statistics.median(base):.4f}s, "
        f"`care --help` p50 {statistics.median(start):.3f}s (email and staff start a process)"
    )
    print(
        f"burst: {result['burst_acked']}/{result['burst_sent']} acked, last after "
        f"{result['burst_last_ack_s']}s"
    )
    print(json.dumps(result, sort_keys=True))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    main()
