"""Point CARE at a fresh database (SQLite file or PostgreSQL) for one test."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from models import db, migrate
from models.settings import get_settings

_templates: dict[str, str] = {}


def use_care(data_dir: Path, database_url: str | None, key: str | None = None) -> None:
    """Set CARE's settings for this process and configure the engine."""
    os.environ["CARE_DATA_DIR"] = str(data_dir)
    os.environ["CARE_ENCRYPTION_KEY"] = key or Fernet.generate_key().decode()
    os.environ.pop("CARE_PREVIOUS_ENCRYPTION_KEYS", None)
    if database_url:
        os.environ["CARE_DATABASE_URL"] = database_url
    else:
        os.environ.pop("CARE_DATABASE_URL", None)
    get_settings.cache_clear()
    db.configure(get_settings())


def fresh_sqlite(tmp: Path) -> str:
    """A migrated SQLite file (copied from a template migrated once per session)."""
    target = tmp / "care.db"
    if "sqlite" not in _templates:
        template = Path(os.environ.get("CARE_TEST_TEMPLATE_DIR", "/tmp")) / (
            f"care-template-{uuid.uuid4().hex}.db"
        )
        migrate.upgrade(f"sqlite:///{template}")
        _templates["sqlite"] = str(template)
    shutil.copy(_templates["sqlite"], target)
    return f"sqlite:///{target}"


def fresh_postgres(admin_url: str) -> str:
    """A new database cloned from a migrated template database."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    base = admin_url.rsplit("/", 1)[0]
    try:
        with admin.connect() as conn:
            if "pg" not in _templates:
                name = f"care_tpl_{uuid.uuid4().hex[:10]}"
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                migrate.upgrade(f"{base}/{name}")
                _templates["pg"] = name
            new = f"care_t_{uuid.uuid4().hex[:12]}"
            conn.exec_driver_sql(f'CREATE DATABASE "{new}" TEMPLATE "{_templates["pg"]}"')
    finally:
        admin.dispose()
    return f"{base}/{new}"


def drop_postgres(admin_url: str, url: str) -> None:
    db.engine().dispose()
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        admin.dispose()
