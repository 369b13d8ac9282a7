"""`care outbox`: the operator reads what CARE sent, decrypted, and every reading is audited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from models import db, migrate
from models.settings import get_settings
from models.tables import AuditEntry
from record import outbox
from record.events import add_event
from record.incidents import get_incident
from record.members import add_member


def care(home: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARE_")}
    env["CARE_DATA_DIR"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "care_cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory with an event, a member, an e-mailed report and a page to the member."""
    path = tmp_path_factory.mktemp("care-outbox-home")
    saved = {n: os.environ.pop(n) for n in [n for n in os.environ if n.startswith("CARE_")]}
    os.environ["CARE_DATA_DIR"] = str(path)
    get_settings.cache_clear()
    try:
        db.configure()
        migrate.upgrade()
        with db.session_scope() as session:
            add_event(
                session,
                slug_="dce26",
                name="DjangoCon Europe 2026",
                code_prefix="DCE26",
                starts_on=date(2026, 4, 20),
                ends_on=date(2026, 4, 24),
                timezone_="UTC",
            )
            add_member(session, handle_="ana", display_name="Ana A", phone="+353851234567")
        mail = EmailMessage()
        mail["From"] = "Robin <robin@example.net>"
        mail["To"] = "conduct@example.org"
        mail["Subject"] = "Please help"
        mail["Message-ID"] = "<outbox-1@example.net>"
        mail.set_content("Someone followed me to my hotel.")
        stored = care(path, "intake", "email", stdin=mail.as_bytes())  # no SMTP: the outbox
        assert stored.returncode == 0, stored.stderr
        with db.session_scope() as session:
            incident = get_incident(session, stored.stdout.split()[0])
            outbox.queue(
                session,
                channel="sms",
                purpose="page",
                recipient="+353851234567",
                body=f"CARE: urgent case {incident.code}. Reply ACK {incident.code}.",
                idempotency_key="page-test-1",
                incident=incident,
            )
        yield path
    finally:
        os.environ.pop("CARE_DATA_DIR", None)
        os.environ.update(saved)
        get_settings.cache_clear()


def _readings(home: Path) -> list[AuditEntry]:
    os.environ["CARE_DATA_DIR"] = str(home)
    get_settings.cache_clear()
    db.configure()
    try:
        with db.session_scope() as session:
            query = select(AuditEntry).where(AuditEntry.action == "outbox.view")
            return list(session.scalars(query.order_by(AuditEntry.seq)))
    finally:
        os.environ.pop("CARE_DATA_DIR", None)
        get_settings.cache_clear()


def test_the_operator_reads_every_message_newest_first(home: Path) -> None:
    shown = care(home, "outbox")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert lines[-1] == "3 messages shown, newest first"
    page, notice, ack = shown.stdout.split("\ntime:")  # one block each, the newest first
    assert "channel: SMS (waiting to be sent)" in page and "to:      ana" in page
    assert "Reply ACK DCE26-1" in page
    assert "channel: Slack" in notice and "to:      the team channel" in notice
    assert "channel: E-mail (kept in the outbox" in ack
    assert "to:      the reporter, robin@example.net" in ack
    assert "case:    DCE26-1" in ack and "subject:" in ack and "DCE26-1" in ack


def test_the_filter_and_the_limit_are_kept_and_audited(home: Path) -> None:
    one = care(home, "outbox", "--incident", "DCE26-1", "--limit", "1", "--as", "ana")
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip().splitlines()[-1] == "1 messages shown, newest first"
    assert "channel: SMS" in one.stdout and "E-mail" not in one.stdout
    unknown = care(home, "outbox", "--incident", "DCE26-99")
    assert unknown.returncode == 2 and "DCE26-99" in unknown.stderr
    readings = _readings(home)
    mine = [r for r in readings if r.actor == "ana"]
    assert len(mine) == 1 and mine[0].incident_code == "DCE26-1"
    assert json.loads(mine[0].detail) == {
        "incident": "DCE26-1",
        "limit": 1,
        "shown": 1,
        "via": "cli",
    }
    assert "robin" not in "".join(r.detail for r in readings)
