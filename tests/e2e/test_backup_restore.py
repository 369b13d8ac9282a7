"""`care backup` and `care restore`, as an operator runs them: a record with a report goes
into one encrypted file, comes back into a new, empty database with the same key, and its
audit trail still verifies. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import cli

PG_URL = os.environ.get("CARE_TEST_PG_URL")  # the cluster `make test` starts
NARRATIVE = "Someone kept following me between the talks."


def care(
    home: Path, *args: str, stdin: str = "", settings: dict[str, str] | None = None
) -> tuple[int, str, str]:
    done = cli.care(home, *args, stdin=stdin, settings=settings)
    return done.returncode, done.stdout, done.stderr


def report_mail() -> str:
    message = EmailMessage()
    message["From"] = "Robin <robin@example.net>"
    message["To"] = "conduct@example.org"
    message["Subject"] = "Please help"
    message["Message-ID"] = "<backup-1@example.net>"
    message.set_content(NARRATIVE)
    return message.as_string()


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The settings of the record to back up and of the empty database to restore into."""
    if request.param == "sqlite":
        yield {}, {}
        return
    if not PG_URL:
        pytest.skip("CARE_TEST_PG_URL unset; use make test")
    names = [f"care_{role}_{uuid.uuid4().hex[:10]}" for role in ("backup", "restored")]
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:  # new and empty, as an operator creates them
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield (
            {"CARE_DATABASE_URL": f"{base}/{names[0]}"},
            {"CARE_DATABASE_URL": f"{base}/{names[1]}"},
        )
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_a_record_comes_back_whole_from_its_backup(
    tmp_path: Path, databases: tuple[dict[str, str], dict[str, str]]
) -> None:
    source, target = databases
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    assert care(first, "init", settings=source)[0] == 0
    edition = ["event", "add", "dce26", "--name", "DjangoCon Europe 2026", "--code-prefix"]
    edition += ["DCE26", "--starts", "2026-01-01", "--ends", "2036-12-31", "--timezone", "UTC"]
    assert care(first, *edition, settings=source)[0] == 0
    assert care(first, "intake", "email", stdin=report_mail(), settings=source)[0] == 0
    listed = care(first, "incident", "list", settings=source)[1]
    assert "DCE26-1" in listed

    archive = tmp_path / "care.backup"
    code, out, err = care(first, "backup", str(archive), settings=source)
    assert code == 0, err
    assert "keep the key apart" in out
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert NARRATIVE.encode() not in archive.read_bytes()  # encrypted, not just compressed
    assert care(first, "backup", str(archive), settings=source)[0] == 2  # never overwritten

    # without the key, nothing comes back (and the empty database stays empty)
    code, _, err = care(second, "restore", str(archive), settings=target)
    assert code == 2 and "cannot be decrypted" in err
    shutil.copy(first / "encryption.key", second / "encryption.key")  # as kept apart
    code, out, err = care(second, "restore", str(archive), settings=target)
    assert code == 0, err
    assert care(second, "incident", "list", settings=target)[1] == listed
    code, out, err = care(second, "audit", "verify", settings=target)
    assert code == 0, out + err
    code, _, err = care(second, "restore", str(archive), settings=target)
    assert code == 2 and "not empty" in err  # a record is never overwritten


def test_a_file_that_is_no_backup_is_refused(tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("not a backup\n")
    code, _, err = care(tmp_path, "restore", str(stray))
    assert code == 2 and "is not a CARE backup" in err
