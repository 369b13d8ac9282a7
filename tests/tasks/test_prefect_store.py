"""Deleted form input leaves the disk of Prefect's SQLite, write-ahead log included."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from adapters.prefect_store import truncate_log

TYPED = "Orbelian Vantwick cornered me by the espresso machine"


def _on_disk(folder: Path) -> bool:
    return any(TYPED.encode() in p.read_bytes() for p in folder.iterdir() if p.is_file())


def test_a_deleted_row_stays_in_the_log_until_it_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "prefect.db"
    # Prefect's server: WAL, secure_delete (Debian's default), and a connection kept open
    with closing(sqlite3.connect(path)) as server:
        server.execute("PRAGMA journal_mode = WAL")
        server.execute("PRAGMA secure_delete = ON")
        server.execute("CREATE TABLE flow_run_input (key TEXT, value TEXT)")
        server.execute("INSERT INTO flow_run_input VALUES ('answer', ?)", (TYPED,))
        server.commit()
        server.execute("DELETE FROM flow_run_input")
        server.commit()
        assert server.execute("SELECT count(*) FROM flow_run_input").fetchone() == (0,)
        assert _on_disk(tmp_path)  # deleted, yet still in prefect.db-wal
        assert truncate_log(path)
        assert not _on_disk(tmp_path)
        assert (tmp_path / "prefect.db-wal").stat().st_size == 0


def test_a_busy_database_is_reported_not_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "prefect.db"
    with closing(sqlite3.connect(path)) as server:
        server.execute("PRAGMA journal_mode = WAL")
        server.execute("CREATE TABLE t (x)")
        server.commit()
        server.execute("BEGIN IMMEDIATE")  # a writer holds the lock
        server.execute("INSERT INTO t VALUES (1)")
        assert truncate_log(path) is False  # after BUSY_S, not Prefect's 60 s busy timeout
        server.rollback()
        assert truncate_log(path)
