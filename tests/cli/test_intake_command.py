"""`care intake email` (an MTA pipe) and `care report` (staff relay), run as real processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from care_cli.main import main as care_main
from models import db, migrate
from models.settings import get_settings
from models.tables import Report
from record.events import add_event
from record.members import add_member, get_member
from tests.support.smtp import Inbox, smtp_server


def care(
    home: Path, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CARE_")}
    base["CARE_DATA_DIR"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "care_cli.main", *args],
        env={**base, **(env or {})},
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory with its own key file, an event and a member (set up in-process)."""
    path = tmp_path_factory.mktemp("care-intake-home")
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
            add_member(session, handle_="ana", display_name="Ana A")
        yield path
    finally:
        os.environ.pop("CARE_DATA_DIR", None)
        os.environ.update(saved)
        get_settings.cache_clear()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, dict[str, str]]]:
    with smtp_server(configure=False) as inbox:
        yield inbox, {"CARE_SMTP_HOST": "127.0.0.1", "CARE_SMTP_PORT": str(inbox.port)}


def _mail(message_id: str, body: str = "Someone followed me to my hotel.") -> bytes:
    message = EmailMessage()
    message["From"] = "Robin <robin@example.net>"
    message["To"] = "conduct@example.org"
    message["Subject"] = "Please help"
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def test_mta_pipe_stores_once_and_acknowledges_in_the_thread(
    home: Path, smtp: tuple[Inbox, dict[str, str]]
) -> None:
    inbox, env = smtp
    first = care(home, "intake", "email", stdin=_mail("<pipe-1@example.net>"), env=env)
    again = care(home, "intake", "email", stdin=_mail("<pipe-1@example.net>"), env=env)
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    code = first.stdout.decode().split()[0]
    assert first.stdout.decode().strip() == f"{code} stored"
    assert again.stdout.decode().strip() == f"{code} already stored"
    [ack] = inbox.wait_for(1)
    assert ack["To"] == "robin@example.net" and code in str(ack["Subject"])
    assert ack["In-Reply-To"] == ack["References"] == "<pipe-1@example.net>"
    assert code in ack.get_content()
    # the reporter answers the acknowledgement: it joins the same case
    reply = EmailMessage()
    reply["From"] = "robin@example.net"
    reply["Message-ID"] = "<pipe-2@example.net>"
    reply["In-Reply-To"] = ack["Message-ID"]
    reply.set_content("I remembered more: it was on Tuesday too.")
    joined = care(home, "intake", "email", stdin=reply.as_bytes(), env=env)
    assert joined.stdout.decode().strip() == f"{code} stored"


def test_mta_pipe_refuses_what_cannot_be_a_report(home: Path) -> None:
    result = care(home, "intake", "email", stdin=b"\r\n\r\n")
    assert result.returncode == 65
    assert result.stderr.decode().count("\n") == 1 and "not a report" in result.stderr.decode()


def test_mta_pipe_asks_for_a_retry_when_the_database_is_down(home: Path) -> None:
    down = {"CARE_DATABASE_URL": "postgresql+psycopg://care@127.0.0.1:9/care"}
    result = care(home, "intake", "email", stdin=_mail("<pipe-down@example.net>"), env=down)
    assert result.returncode == 75
    assert "try again later" in result.stderr.decode() and b"Traceback" not in result.stderr


def test_staff_relay_records_who_relayed_and_acknowledges_the_reporter(
    home: Path, smtp: tuple[Inbox, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, env = smtp
    args = ["report", "--relayed-by", "ana", "--where", "Hall B", "--urgent"]
    args += ["--reporter-contact", "sam@example.net", "--consent", "--message-id", "relay-1"]
    result = care(home, *args, stdin=b"Sam told me a speaker kept insulting them.\n", env=env)
    assert result.returncode == 0, result.stderr
    code = result.stdout.decode().strip()
    [ack] = inbox.wait_for(1)
    assert ack["To"] == "sam@example.net" and code in ack.get_content()
    with _record(home, monkeypatch) as session:
        report = session.scalars(select(Report).where(Report.channel == "staff")).one()
        assert report.relayed_by_id == get_member(session, "ana").id
        assert (report.consent_to_contact, report.urgent, report.where_text) == (
            True,
            True,
            "Hall B",
        )
        assert report.narrative == "Sam told me a speaker kept insulting them."
        assert report.incident.code == code and report.acknowledged_at is not None
    again = care(home, *args, stdin=b"Sam told me a speaker kept insulting them.\n", env=env)
    assert again.stdout.decode().strip() == code and "already recorded" in again.stderr.decode()


@contextmanager
def _record(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """Read the command's database from this process (its own key file)."""
    for name in [n for n in os.environ if n.startswith("CARE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CARE_DATA_DIR", str(home))
    get_settings.cache_clear()
    db.configure()
    try:
        with db.session_scope() as session:
            yield session
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["report", "--relayed-by", "nobody"], b"text", "no member"),
        (["report", "--relayed-by", "ana"], b"# only a comment\n  \n", "narrative is empty"),
        (["report", "--relayed-by", "ana", "--reporter-contact", "??"], b"text", "contact"),
    ],
)
def test_staff_relay_bad_input_is_one_line(
    home: Path,
    args: list[str],
    stdin: bytes,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with _record(home, monkeypatch):
        pass
    monkeypatch.setattr(sys, "argv", ["care", *args])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exited:
        care_main()
    err = capsys.readouterr().err
    assert exited.value.code == 2 and message in err and err.count("\n") == 1
