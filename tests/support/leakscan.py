"""Look for personal data everywhere it could rest: tables, raw database files, tokens.

Encrypted values are no proof of erasure (the key still opens them), so every Fernet
token found in a raw file is decrypted and searched as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from models import crypto
from models.tables import Base

TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_\-]{40,}={0,2}")


def _texts_of_blob(blob: bytes) -> Iterator[str]:
    yield blob.decode("latin-1")
    yield blob.decode("utf-8", errors="ignore")
    for match in TOKEN.finditer(blob):
        try:
            yield crypto.keyring().decrypt(match.group()).decode("utf-8", errors="ignore")
        except InvalidToken:
            continue


def found_in_files(paths: Iterable[Path], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """(file name, secret) for each secret found in a file, in the clear or in a token.

    A SQLite write-ahead log can vanish while it is read (the last connection closing
    checkpoints it into the database file, perhaps one already read): then every file is
    read again, so nothing the log held escapes the scan.
    """
    wanted = [s.lower() for s in secrets]
    files = list(paths)
    for _attempt in range(5):
        try:
            return _scan(files, wanted)
        except FileNotFoundError:
            continue
    return _scan(files, wanted)


def _scan(paths: list[Path], wanted: list[str]) -> list[tuple[str, str]]:
    hits = []
    for path in paths:
        if not path.is_file():
            continue
        for text in _texts_of_blob(path.read_bytes()):
            low = text.lower()
            hits += [(path.name, s) for s in wanted if s in low]
    return sorted(set(hits))


def found_in_tables(engine: sa.Engine, secrets: Iterable[str]) -> list[tuple[str, str]]:
    """(table, secret) for each secret in any column of any row, decrypted."""
    wanted = [s.lower() for s in secrets]
    hits = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                low = repr(tuple(row)).lower()
                hits += [(table.name, s) for s in wanted if s in low]
    return sorted(set(hits))


def sqlite_files(url: str) -> list[Path]:
    path = Path(url.removeprefix("sqlite:///"))
    return [path, Path(f"{path}-wal"), Path(f"{path}-journal")]


def postgres_files(engine: sa.Engine) -> list[Path]:
    """The relation files (tables, TOAST, indexes) of CARE's tables in this database."""
    with engine.connect() as conn:
        data_dir = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        rels = conn.exec_driver_sql(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 't', 'i') "
            "AND pg_relation_filepath(c.oid) IS NOT NULL"
        ).scalars()
        return [data_dir / rel for rel in rels]
