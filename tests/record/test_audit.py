"""The audit trail is hash-chained: every kind of tampering is found and named."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from models import db
from models.tables import Base
from record import audit
from record.audit_anchor import Anchor, checkpoint_path
from tests.support.seed import SECRETS, seed_report, seed_team


def _trail(n_reports: int = 2) -> int:
    with db.session_scope() as session:
        seed_team(session)
        for i in range(n_reports):
            seed_report(session, message_id=f"m{i}")
        return audit.count(session)


def _verify() -> audit.Verdict:
    with db.session_scope() as session:
        return audit.verify(session)


def _sql(statement: str, **params: object) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text(statement), params)


def test_intact_trail_verifies(care_db: str) -> None:
    n = _trail()
    verdict = _verify()
    assert verdict.ok and verdict.entries == n and n > 10


def test_edited_entry_is_named(care_db: str) -> None:
    _trail()
    _sql("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 5")
    verdict = _verify()
    assert not verdict.ok and verdict.seq == 5 and "edited" in (verdict.problem or "")


def test_deleted_entry_is_named(care_db: str) -> None:
    _trail()
    _sql("DELETE FROM audit_entries WHERE seq = 7")
    verdict = _verify()
    assert not verdict.ok and verdict.seq == 7 and "missing" in (verdict.problem or "")


def test_inserted_entry_is_named(care_db: str) -> None:
    """An entry forged with a correct hash of its own still breaks the link after it."""
    _trail()
    with db.engine().begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 4"))
        conn.execute(sa.text("UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1004"))
        prev = conn.execute(sa.text("SELECT hash FROM audit_entries WHERE seq = 3")).scalar_one()
        at = db.utcnow()
        forged = audit.entry_hash(
            seq=4,
            at=at,
            actor="mallory",
            action="note.add",
            incident_code=None,
            detail="{}",
            prev_hash=prev,
        )
        conn.execute(
            sa.text(
                "INSERT INTO audit_entries (seq, at, actor, action, incident_code, detail, "
                "prev_hash, hash) VALUES (4, :at, 'mallory', 'note.add', NULL, '{}', "
                ":prev, :hash)"
            ),
            {
                "at": at.replace(tzinfo=None) if db.engine().dialect.name == "sqlite" else at,
                "prev": prev,
                "hash": forged,
            },
        )
    verdict = _verify()
    assert not verdict.ok and verdict.seq == 5  # the first entry pushed along no longer fits


def test_entry_forked_from_an_earlier_one_is_named(care_db: str) -> None:
    """A forged entry appended with a valid hash of its own but linked to an old entry."""
    n = _trail()
    with db.engine().begin() as conn:
        prev = conn.execute(sa.text("SELECT hash FROM audit_entries WHERE seq = 3")).scalar_one()
        at = db.utcnow()
        forged = audit.entry_hash(
            seq=n + 1,
            at=at,
            actor="mallory",
            action="note.add",
            incident_code=None,
            detail="{}",
            prev_hash=prev,
        )
        conn.execute(
            sa.text(
                "INSERT INTO audit_entries (seq, at, actor, action, incident_code, detail, "
                "prev_hash, hash) VALUES (:seq, :at, 'mallory', 'note.add', NULL, '{}', "
                ":prev, :hash)"
            ),
            {
                "seq": n + 1,
                "at": at.replace(tzinfo=None) if db.engine().dialect.name == "sqlite" else at,
                "prev": prev,
                "hash": forged,
            },
        )
    verdict = _verify()
    assert not verdict.ok
    assert verdict.seq == n + 1 and "does not follow" in (verdict.problem or "")


def test_reordered_entries_are_named(care_db: str) -> None:
    _trail()
    _sql("UPDATE audit_entries SET seq = -1 WHERE seq = 3")
    _sql("UPDATE audit_entries SET seq = 3 WHERE seq = 4")
    _sql("UPDATE audit_entries SET seq = 4 WHERE seq = -1")
    verdict = _verify()
    assert not verdict.ok and verdict.seq == 3


def test_trail_holds_no_personal_data(care_db: str) -> None:
    _trail()
    with db.engine().connect() as conn:
        rows = conn.execute(
            sa.text("SELECT actor, action, incident_code, detail FROM audit_entries")
        )
        text = repr(rows.all())
    assert "DCE26-1" in text
    for value in SECRETS.values():
        assert value not in text


def test_detail_refuses_non_scalar_values(care_db: str) -> None:
    with db.session_scope() as session:
        try:
            audit.record(session, actor="ana", action="x", payload={"name": "x"})
        except TypeError as exc:
            assert "payload" in str(exc)
        else:
            raise AssertionError("a nested detail was accepted")


# -- entries are chained when their transaction commits ----------------------------------
def _actions() -> list[str]:
    with db.engine().connect() as conn:
        query = sa.text("SELECT action FROM audit_entries ORDER BY seq")
        return list(conn.execute(query).scalars())


def test_an_entry_of_a_rolled_back_savepoint_is_never_chained(care_db: str) -> None:
    with db.session_scope() as session:
        audit.record(session, actor="ana", action="kept.before")
        try:
            with session.begin_nested():
                audit.record(session, actor="ana", action="dropped")
                raise LookupError("refused")
        except LookupError:
            pass
        with session.begin_nested():
            audit.record(session, actor="ana", action="kept.savepoint")
        audit.record(session, actor="ana", action="kept.after")
    assert _actions() == ["kept.before", "kept.savepoint", "kept.after"]
    assert _verify().ok


def test_a_rolled_back_transaction_chains_nothing(care_db: str) -> None:
    try:
        with db.session_scope() as session:
            audit.record(session, actor="ana", action="dropped")
            raise LookupError("refused")
    except LookupError:
        pass
    with db.session_scope() as session:
        audit.record(session, actor="ana", action="kept")
    assert _actions() == ["kept"] and _verify().ok


def test_a_transaction_reads_its_own_entries(care_db: str) -> None:
    with db.session_scope() as session:
        audit.record(session, actor="ana", action="read.back")
        assert audit.count(session) == 1
        audit.record(session, actor="ana", action="read.again")
    assert _actions() == ["read.back", "read.again"] and _verify().ok


def test_a_transaction_at_work_does_not_hold_up_another_ones_entries(care_db: str) -> None:
    """The chain's lock is held while a transaction commits, not while it works: paging
    across processes queues for no one else's slow step."""
    if not care_db.startswith("postgresql"):
        pytest.skip("SQLite's transactions begin with the write lock")
    with db.session_scope() as slow:
        audit.record(slow, actor="ana", action="slow")
        slow.flush()
        with ThreadPoolExecutor(1) as pool:
            other = pool.submit(_record_alone, "quick")
            other.result(timeout=10)  # before: waited for the slow one's commit
    assert _actions() == ["quick", "slow"] and _verify().ok


def _record_alone(action: str) -> None:
    with db.session_scope() as session:
        audit.record(session, actor="bo", action=action)


# -- a chain that cannot be shortened: anchored outside the table ------------------------
TABLE = Base.metadata.tables["audit_entries"]


def _rows() -> list[dict[str, object]]:
    with db.engine().connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(TABLE))]


def _replace_table(rows: list[dict[str, object]]) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.delete(TABLE))
        conn.execute(sa.insert(TABLE), rows)


def test_every_commit_moves_the_signed_checkpoint_forward(care_db: str) -> None:
    n = _trail()
    saved = json.loads(checkpoint_path().read_text())
    assert saved["seq"] == n and saved["head"] == _verify().head and len(saved["mac"]) == 64
    assert checkpoint_path().stat().st_mode & 0o777 == 0o600


def test_a_trail_cut_short_is_named(care_db: str) -> None:
    n = _trail()
    _sql("DELETE FROM audit_entries WHERE seq > :keep", keep=n - 3)
    verdict = _verify()
    assert not verdict.ok and verdict.seq == n - 2
    assert f"ends at entry {n - 3}" in (verdict.problem or "")
    assert "newest entries were deleted" in (verdict.problem or "")


def test_an_older_copy_of_the_table_is_named(care_db: str) -> None:
    old = _trail(1)
    older = _rows()
    with db.session_scope() as session:
        seed_report(session, message_id="later")
    n = _verify().entries
    _replace_table(older)
    verdict = _verify()
    assert not verdict.ok and f"ends at entry {old} but" in (verdict.problem or "")
    with db.session_scope() as session:  # CARE writes on, past the checkpoint's count
        for _ in range(n - old + 2):
            audit.record(session, actor="care", action="member.list")
    verdict = _verify()
    assert not verdict.ok and verdict.seq == n
    assert f"entry {n} is not the one the checkpoint" in (verdict.problem or "")


def test_every_broken_entry_is_named_not_only_the_first(care_db: str) -> None:
    n = _trail(20)
    assert n > 45
    _sql("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 20")
    _sql("DELETE FROM audit_entries WHERE seq = 40")
    verdict = _verify()
    assert not verdict.ok and verdict.seq == 20
    assert [(b.seq, b.problem) for b in verdict.breaks] == [
        (20, "entry 20 was edited"),
        (40, "entry 40 missing: deleted before entry 41"),
    ]


def test_an_altered_or_missing_checkpoint_is_named(care_db: str) -> None:
    n = _trail()
    saved = json.loads(checkpoint_path().read_text())
    checkpoint_path().write_text(json.dumps({**saved, "seq": n - 5}))  # to hide a cut
    _sql("DELETE FROM audit_entries WHERE seq > :keep", keep=n - 5)
    verdict = _verify()
    assert not verdict.ok and "signature fails" in (verdict.problem or "")
    checkpoint_path().unlink()
    verdict = _verify()
    assert not verdict.ok and "no checkpoint of the head" in (verdict.problem or "")


def test_a_head_posted_elsewhere_catches_a_restored_data_directory(care_db: str) -> None:
    """Database and checkpoint both put back to an older copy: the team channel's head remains."""
    _trail(1)
    older, older_checkpoint = _rows(), checkpoint_path().read_bytes()
    with db.session_scope() as session:
        seed_report(session, message_id="later")
    posted = _verify()
    _replace_table(older)
    checkpoint_path().write_bytes(older_checkpoint)
    assert _verify().ok  # the data directory alone cannot tell
    anchor = Anchor(posted.entries, posted.head[:16], "the team channel's checkpoint")
    with db.session_scope() as session:
        verdict = audit.verify(session, [anchor])
    assert not verdict.ok and "the team channel's checkpoint saw" in (verdict.problem or "")
