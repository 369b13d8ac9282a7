"""Personal data is encrypted at rest: nothing readable in the raw database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from models import db
from models.tables import Base
from record.incidents import add_note, get_incident
from tests.support.seed import SECRETS, seed_report, seed_team


def _seed_everything() -> None:
    with db.session_scope() as session:
        seed_team(session)
        code = seed_report(session)
        add_note(session, get_incident(session, code), author="ana", body=SECRETS["note"])


def _needles() -> list[bytes]:
    words = set(SECRETS.values()) | {w for v in SECRETS.values() for w in v.split() if len(w) > 6}
    return [w.encode() for w in words] + [w.lower().encode() for w in words]


def test_sqlite_file_holds_no_clear_text(sqlite_care: str, tmp_path: Path) -> None:
    _seed_everything()
    db.engine().dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("care.db*"))
    assert len(raw) > 10_000
    leaks = [n for n in _needles() if n in raw]
    assert leaks == []


def test_database_rows_hold_no_clear_text(care_db: str) -> None:
    """Read every column of every table without the decrypting types (SQLite and PostgreSQL)."""
    _seed_everything()
    dump = []
    with db.engine().connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(sa.text(f"SELECT * FROM {table.name}")):  # noqa: S608
                dump.append(repr(tuple(row)))
    text = "\n".join(dump).encode()
    assert b"DCE26-1" in text  # the dump is real: codes are stored in the clear
    assert [n for n in _needles() if n in text] == []


def test_values_read_back_decrypted(care_db: str) -> None:
    _seed_everything()
    with db.session_scope() as session:
        incident = get_incident(session, "dce26-1")
        report = incident.reports[0]
        assert report.narrative == SECRETS["narrative"]
        assert report.reporter_contact == SECRETS["reporter_email"]
        assert incident.location == SECRETS["location"]
