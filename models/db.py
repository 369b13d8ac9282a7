"""Engine and sessions for CARE's own database (the record)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from models import crypto
from models.settings import Settings, get_settings

_engine: Engine | None = None
_sessions: sessionmaker[Session] | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back time-zone aware (SQLite included)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 15) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL a
    pool of ``pool_size`` connections, ``max_overflow`` more while busy."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, poolclass=NullPool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            # take the write lock up front: no "database is locked" when a reader upgrades
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def configure(settings: Settings | None = None) -> Engine:
    """Set the process's engine and keyring from settings (idempotent per settings)."""
    global _engine, _sessions
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    crypto.set_keyring(settings.fernet())
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(
        settings.sqlalchemy_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    _sessions = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def engine() -> Engine:
    if _engine is None:
        configure()
    assert _engine is not None
    return _engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session in a transaction: committed on success, rolled back on error."""
    if _sessions is None:
        configure()
    assert _sessions is not None
    with _sessions() as session, session.begin():
        yield session


KEEP_KEY = "care_keep"  # in Session.info: rows held for the rest of the transaction


def keep(session: Session, *rows: object) -> None:
    """Hold these loaded rows until the session ends. The identity map holds rows only
    weakly: a row no variable refers to any more is loaded again by the next
    ``session.get``, one more query (and an early flush) on a path that counts them."""
    session.info.setdefault(KEEP_KEY, []).extend(rows)
