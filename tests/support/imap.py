"""A real IMAP server for tests: mail-devel (pure Python), started as its own process."""

from __future__ import annotations

import imaplib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from models.settings import get_settings
from tests.support.smtp import free_port

USER = "conduct@example.org"
PASSWORD = "imap-test-password"


@dataclass(frozen=True)
class Mailbox:
    port: int

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        conn.select("INBOX")
        return conn

    def append(self, raw: bytes) -> None:
        conn = self.client()
        try:
            status, _ = conn.append("INBOX", None, None, raw)
            assert status == "OK"
        finally:
            conn.logout()

    def search(self, *criteria: str) -> list[str]:
        conn = self.client()
        try:
            _, data = conn.uid("SEARCH", *criteria)
            return [uid.decode() for uid in (data[0] or b"").split()]
        finally:
            conn.logout()


@contextmanager
def imap_server(timeout_s: float = 20.0) -> Iterator[Mailbox]:
    """Start mail-devel on free ports and point CARE's IMAP settings at it."""
    port = free_port()
    args = ["--host", "127.0.0.1", "--imap-port", str(port), "--smtp-port", str(free_port())]
    args += ["--no-http", "--user", USER, "--password", PASSWORD]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mail_devel", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(port, proc, timeout_s)
        env = {
            "CARE_IMAP_HOST": "127.0.0.1",
            "CARE_IMAP_PORT": str(port),
            "CARE_IMAP_USER": USER,
            "CARE_IMAP_PASSWORD": PASSWORD,
            "CARE_IMAP_SSL": "false",
        }
        os.environ.update(env)
        get_settings.cache_clear()
        yield Mailbox(port)
    finally:
        for name in ("HOST", "PORT", "USER", "PASSWORD", "SSL"):
            os.environ.pop(f"CARE_IMAP_{name}", None)
        get_settings.cache_clear()
        proc.terminate()
        proc.wait(timeout=10)


def _wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mail-devel exited at start")
        try:
            imaplib.IMAP4("127.0.0.1", port, timeout=2).logout()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mail-devel did not start in time")
