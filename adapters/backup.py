"""Back up CARE's record to one encrypted file, and restore it into an empty database.

A backup is consistent: SQLite's online backup, or ``pg_dump`` (one snapshot), taken
while CARE runs. It is encrypted with CARE's current encryption key (Fernet), so it is no
easier to read than the record itself; and like the record it cannot be read without
that key. Keep the key apart from the backups (a password manager, a secret store): a
backup stored with its key protects nobody, and a backup whose key is lost is gone.

The audit trail's checkpoint (``record.audit_anchor``) comes along, read before the copy
(so the copy holds at least the head it names), and is put back with the record: the
restored trail verifies as whole, and a backup cut short would not.

The file: one header line (``CARE-BACKUP 1 <sqlite|postgresql>``), then the Fernet token of
the checkpoint (one JSON line, ``{}`` if there was none) and the database's copy. Fernet
works on the whole file in memory: fine for a conference team's record (megabytes).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from models import db
from models.settings import get_settings
from record.audit_anchor import CheckpointInvalid, checkpoint_path, read_checkpoint

MAGIC = "CARE-BACKUP 1"
KINDS = ("sqlite", "postgresql")


class BackupError(ValueError):
    """A backup that cannot be written or restored, said in one sentence."""


def backup(path: Path) -> str:
    """Write the record's backup to ``path`` (mode 0600); return its kind."""
    settings = get_settings()
    url = make_url(settings.sqlalchemy_url)
    kind = _kind(url.get_backend_name())
    if path.exists():
        raise BackupError(f"{path} exists already; choose a new file")
    anchor = checkpoint_path()
    checkpoint = anchor.read_bytes().strip() if anchor.exists() else b"{}"  # before the copy
    data = _sqlite_bytes(url.database) if kind == "sqlite" else _pg_dump(url)
    token = settings.fernet().encrypt(checkpoint + b"\n" + data)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(f"{MAGIC} {kind}\n".encode())
        out.write(token)
    return kind


def restore(path: Path) -> str:
    """Bring a backup back into CARE's database, which must be empty; return its kind."""
    settings = get_settings()
    header, _, token = path.read_bytes().partition(b"\n")
    magic, _, kind = header.decode(errors="replace").rpartition(" ")
    if magic != MAGIC or kind not in KINDS:
        raise BackupError(f"{path} is not a CARE backup")
    url = make_url(settings.sqlalchemy_url)
    if _kind(url.get_backend_name()) != kind:
        raise BackupError(f"{path} is a {kind} backup; CARE_DATABASE_URL is not {kind}")
    try:
        checkpoint, _, data = settings.fernet().decrypt(token).partition(b"\n")
    except Exception:  # InvalidToken: another key, or a damaged file
        raise BackupError(
            f"{path} cannot be decrypted with this CARE_ENCRYPTION_KEY (or "
            "CARE_PREVIOUS_ENCRYPTION_KEYS): it was made with another key, or is damaged"
        ) from None
    if inspect(db.engine()).get_table_names():
        raise BackupError("CARE's database is not empty: restore into a new, empty database")
    anchor = checkpoint_path()
    if anchor.exists():
        raise BackupError(f"{anchor} exists: restore into a new data directory")
    db.engine().dispose()
    if kind == "sqlite":
        _sqlite_restore(url.database, data)
    else:
        _pg_restore(url, data)
    if checkpoint != b"{}":
        _put_checkpoint(anchor, checkpoint)
    return kind


def _put_checkpoint(anchor: Path, checkpoint: bytes) -> None:
    """The backup's checkpoint, as it was signed (checked first: same key, unaltered)."""
    anchor.parent.mkdir(parents=True, exist_ok=True)
    partial = anchor.with_suffix(".restoring")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(checkpoint)
    try:
        read_checkpoint(partial)
    except CheckpointInvalid as exc:
        partial.unlink()
        raise BackupError(f"the backup's audit checkpoint is not valid: {exc}") from None
    os.replace(partial, anchor)


def _kind(backend: str) -> str:
    if backend not in KINDS:
        raise BackupError(f"backups of a {backend} database are not supported")
    return backend


def _sqlite_bytes(database: str | None) -> bytes:
    assert database, "a SQLite URL names its file"
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "care.db"
        source, target = sqlite3.connect(database), sqlite3.connect(copy)
        try:
            source.backup(target)  # a consistent copy while CARE writes
        finally:
            target.close()
            source.close()
        return copy.read_bytes()


def _sqlite_restore(database: str | None, data: bytes) -> None:
    assert database, "a SQLite URL names its file"
    target = Path(database)
    partial = target.with_name(target.name + ".restoring")
    partial.write_bytes(data)
    os.chmod(partial, 0o600)
    os.replace(partial, target)


def _libpq(url: URL) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it (no driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _pg_dump(url: URL) -> bytes:
    done = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--dbname", _libpq(url)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise BackupError(f"pg_dump failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _pg_restore(url: URL, data: bytes) -> None:
    command = [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", _libpq(url)]
    done = subprocess.run(command, input=data, capture_output=True, check=False)
    if done.returncode:
        raise BackupError(f"pg_restore failed: {done.stderr.decode(errors='replace').strip()}")
