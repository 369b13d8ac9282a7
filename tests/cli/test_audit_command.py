"""`care audit verify` names every broken entry, a trail cut short and an older copy."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.cli import care


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("care-audit-home")
    for args in (["init"], ["member", "add", "ana", "--name", "Ana A"], ["member", "list"]):
        result = care(path, *args)
        assert result.returncode == 0, result.stderr
    return path


def _copy_home(home: Path, to: Path) -> Path:
    to.mkdir()
    for f in home.iterdir():
        if f.is_file():
            (to / f.name).write_bytes(f.read_bytes())
    (to / "encryption.key").chmod(0o600)
    return to


def _sql(home: Path, statement: str, **params: object) -> None:
    engine = sa.create_engine(f"sqlite:///{home / 'care.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    engine.dispose()


def test_audit_verify_names_every_break_and_a_trail_cut_short(tmp_path: Path, home: Path) -> None:
    home = _copy_home(home, tmp_path / "base")
    for _ in range(4):
        assert care(home, "member", "list").returncode == 0  # each reading is audited
    intact = care(home, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    entries = int(intact.stdout.split("intact: ", 1)[1].split()[0])
    assert entries >= 6

    copy = _copy_home(home, tmp_path / "edited")
    _sql(copy, "UPDATE audit_entries SET action = 'member.remove' WHERE seq = 2")
    _sql(copy, "DELETE FROM audit_entries WHERE seq = 4")
    result = care(copy, "audit", "verify")
    assert result.returncode == 1
    assert "entry 2 was edited" in result.stderr and "entry 4 missing" in result.stderr

    cut = _copy_home(home, tmp_path / "cut")
    _sql(cut, "DELETE FROM audit_entries WHERE seq > :keep", keep=entries - 2)
    result = care(cut, "audit", "verify")
    assert result.returncode == 1 and "its newest entries were deleted" in result.stderr


def test_audit_verify_finds_an_older_copy_of_the_table(tmp_path: Path, home: Path) -> None:
    older = _copy_home(home, tmp_path / "older")
    assert care(home, "member", "list").returncode == 0  # audited: the trail grows
    head = care(home, "audit", "checkpoint")
    assert head.returncode == 0, head.stderr
    entries, short = head.stdout.split("checkpoint: ", 1)[1].split(";")[0].split(" entries, head ")
    assert "team channel: outbox" in head.stdout  # no Slack configured: the outbox has it

    restored = _copy_home(home, tmp_path / "restored")
    (restored / "care.db").write_bytes((older / "care.db").read_bytes())
    result = care(restored, "audit", "verify")
    assert result.returncode == 1 and "replaced by an older copy" in result.stderr

    # the database and its checkpoint both restored: the head posted to the channel catches it
    result = care(older, "audit", "verify", "--checkpoint", f"{entries}:{short}")
    assert result.returncode == 1 and f"the checkpoint {entries}:{short} saw" in result.stderr
    assert care(home, "audit", "verify", "--checkpoint", f"{entries}:{short}").returncode == 0
    assert care(home, "audit", "verify", "--checkpoint", "12:nothex").returncode == 2
