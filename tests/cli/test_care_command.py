"""The `care` command: bad input gets one clear line and exit code 2; the key rotates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.cli import care


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("care-home")
    for args in (
        ["init"],
        [
            "event",
            "add",
            "dce26",
            "--name",
            "DjangoCon Europe 2026",
            "--code-prefix",
            "DCE26",
            "--starts",
            "2026-04-20",
            "--ends",
            "2026-04-24",
            "--timezone",
            "Europe/Dublin",
        ],
        [
            "member",
            "add",
            "ana",
            "--name",
            "Ana A",
            "--phone",
            "+353851234567",
            "--email",
            "ana@example.org",
        ],
        ["member", "add", "ben", "--name", "Ben B"],
    ):
        result = care(path, *args)
        assert result.returncode == 0, result.stderr
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["member", "add", "zed", "--name", "Z", "--phone", "12345"],
            "phone number",
            id="bad phone number",
        ),
        pytest.param(
            ["member", "add", "zed", "--name", "Z", "--email", "not-an-address"],
            "e-mail",
            id="bad e-mail address",
        ),
        pytest.param(["member", "add", "Z!", "--name", "Z"], "handle", id="bad handle"),
        pytest.param(
            ["member", "add", "ana", "--name", "Again"], "already exists", id="handle taken"
        ),
        pytest.param(
            [
                "event",
                "add",
                "x26",
                "--name",
                "X",
                "--code-prefix",
                "X26",
                "--starts",
                "2026-13-01",
                "--ends",
                "2026-12-02",
                "--timezone",
                "UTC",
            ],
            "YYYY-MM-DD",
            id="bad date",
        ),
        pytest.param(
            [
                "event",
                "add",
                "x26",
                "--name",
                "X",
                "--code-prefix",
                "X26",
                "--starts",
                "2026-12-01",
                "--ends",
                "2026-12-02",
                "--timezone",
                "Mars/Base",
            ],
            "time zone",
            id="bad time zone",
        ),
        pytest.param(["member", "enroll", "nobody"], "no member", id="unknown handle"),
        pytest.param(["member", "deactivate", "nobody"], "no member", id="unknown handle again"),
        pytest.param(
            [
                "oncall",
                "set",
                "dce26",
                "ana",
                "--tier",
                "tertiary",
                "--starts",
                "2026-04-20T08:00",
                "--ends",
                "2026-04-20T20:00",
            ],
            "tier",
            id="bad tier",
        ),
        pytest.param(
            [
                "oncall",
                "set",
                "nope",
                "ana",
                "--tier",
                "primary",
                "--starts",
                "2026-04-20T08:00",
                "--ends",
                "2026-04-20T20:00",
            ],
            "no event",
            id="unknown event",
        ),
        pytest.param(["incident", "show", "banana"], "case code", id="not a case code"),
        pytest.param(["incident", "show", "DCE26-99"], "no incident", id="unknown incident"),
        pytest.param(
            ["approve", "DCE26-99", "--member", "ana", "--code", "123456"],
            "no incident",
            id="approve unknown incident",
        ),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(home: Path, args: list[str], message: str) -> None:
    result = care(home, *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_enroll_prints_uri_and_qr(home: Path) -> None:
    result = care(home, "member", "enroll", "ana")
    assert result.returncode == 0, result.stderr
    assert "otpauth://totp/CARE:ana?secret=" in result.stdout
    assert "█" in result.stdout or "▀" in result.stdout  # the QR code in the terminal


def test_key_file_is_private(home: Path) -> None:
    assert (home / "encryption.key").stat().st_mode & 0o777 == 0o600


def test_audit_verify_passes_then_finds_tampering(tmp_path: Path, home: Path) -> None:
    assert care(home, "audit", "verify").returncode == 0
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in home.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    (copy / "encryption.key").chmod(0o600)
    engine = sa.create_engine(f"sqlite:///{copy / 'care.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET action = 'member.remove' WHERE seq = 3"))
    engine.dispose()
    result = care(copy, "audit", "verify")
    assert result.returncode == 1 and "entry 3 was edited" in result.stderr


def test_key_rotate_reencrypts_everything(tmp_path: Path, home: Path) -> None:
    before = (home / "encryption.key").read_text()
    result = care(home, "key", "rotate")
    assert result.returncode == 0, result.stderr
    after = (home / "encryption.key").read_text()
    assert after != before and len(after.split()) == 1
    listing = care(home, "member", "list")
    assert listing.returncode == 0 and "Ana A" in listing.stdout


def test_approve_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert care(home, "init").returncode == 0
    from tests.support.care_db import use_care

    use_care(home, None, key=None)
    os.environ.pop("CARE_ENCRYPTION_KEY")  # use the key file like the CLI does
    from models import db
    from models.settings import get_settings

    get_settings.cache_clear()
    db.configure()
    from policy.signoff import DecisionKind
    from record import decisions
    from record.incidents import get_incident
    from tests.support.codes import Codes
    from tests.support.seed import seed_report, seed_team

    with db.session_scope() as session:
        seeded = seed_team(session)
        code = seed_report(session)
        decision_id = decisions.propose(
            session,
            kind=DecisionKind.reporter_message,
            summary="inform reporter",
            proposer="ana",
            incident=get_incident(session, code),
            body="Dear reporter, the team has acted on your report.",
        ).id
    bad = care(home, "approve", code, "--member", "ben", "--code", "000000")
    assert bad.returncode == 2 and "the code was wrong or had expired" in bad.stderr
    codes = Codes(seeded.totp)  # a refused answer's code is used up all the same
    unread = care(home, "approve", code, "--member", "ben", "--code", codes("ben"))
    assert unread.returncode == 2
    assert "the text had not been shown to you yet" in unread.stderr
    read = care(home, "decision", "show", str(decision_id), "--member", "ben")
    assert read.returncode == 0 and "Dear reporter, the team has acted" in read.stdout
    good = care(home, "approve", code, "--member", "ben", "--code", codes("ben"))
    assert good.returncode == 0 and "approved" in good.stdout, good.stderr
    shown = care(home, "incident", "show", code)
    assert "Zephyrine Quillfeather" in shown.stdout
    assert care(home, "audit", "verify").returncode == 0
