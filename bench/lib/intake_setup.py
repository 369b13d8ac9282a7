"""The bench of bench/intake.py: a fresh CARE with SMTP to aiosmtpd, and intake under uvicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ACK_TIMEOUT_S = 120.0


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
