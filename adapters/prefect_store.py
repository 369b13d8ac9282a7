"""What a member typed into a Prefect form must also leave the disk of Prefect's SQLite.

CARE deletes a form's input from Prefect as soon as the answer is in CARE's encrypted
database (``flows.waiting``). On SQLite, the database file then holds zeros where the row
was (``secure_delete``, Debian's default), but the page as it was before the deletion is
still in the write-ahead log (``prefect.db-wal``) until SQLite happens to overwrite it:
hours, on a quiet embedded server. So after each deletion CARE checkpoints that log into
the database file and truncates it, in a background thread: the run never waits for it.

Prefect on PostgreSQL (production) keeps deleted rows until autovacuum reuses the space;
that database belongs on an encrypted volume like CARE's own.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from prefect.settings import get_current_settings
from sqlalchemy.engine import make_url

log = logging.getLogger("care.prefect_store")
TRIES = 40  # a busy server gets this many chances, half a second apart
BUSY_S = 0.25  # how long one try may hold up Prefect's writers

_wanted = threading.Event()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def prefect_sqlite_path() -> Path | None:
    """The file of Prefect's database if it is SQLite on this machine, else None."""
    url = get_current_settings().server.database.connection_url
    if url is None:
        return None
    parsed = make_url(url.get_secret_value())
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(str(parsed.database)).expanduser()
    return path if path.exists() else None


def truncate_log(path: Path) -> bool:
    """Checkpoint the database's write-ahead log and truncate it; False if Prefect was busy."""
    with closing(sqlite3.connect(path, timeout=BUSY_S)) as conn:
        busy, _frames, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return bool(busy == 0)


def scrub_soon() -> None:
    """Have Prefect's SQLite log truncated shortly (returns at once; repeated calls merge)."""
    global _thread
    if prefect_sqlite_path() is None:
        return
    _wanted.set()
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_scrub_loop, name="care-scrub", daemon=True)
            _thread.start()


def _scrub_loop() -> None:
    while True:
        _wanted.wait()
        _wanted.clear()
        if not _scrub_once():
            log.warning(
                "Prefect's SQLite stayed busy: deleted form input may stay in its "
                "write-ahead log until the next deletion truncates it"
            )


def _scrub_once() -> bool:
    for _ in range(TRIES):
        path = prefect_sqlite_path()
        if path is None:
            return True
        try:
            if truncate_log(path):
                return True
        except sqlite3.Error as exc:  # "database is locked" and the like: try again
            log.debug("truncating Prefect's log: %s", exc)
        time.sleep(0.5)
    return False
