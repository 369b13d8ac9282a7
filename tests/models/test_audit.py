"""The audit trail is hash-chained: every kind of tampering is found and named."""

from __future__ import annotations

import sqlalchemy as sa

from models import db
from record import audit
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
