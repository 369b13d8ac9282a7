"""Run CARE's Alembic migrations from code (`care init`) or the alembic CLI.

Alembic is imported when a migration is run or read, not with this module: importing it
takes a quarter of a second, and every `care` command imports this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from models import db

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str | None = None) -> None:
    """Bring the database to the newest schema."""
    from alembic import command

    if url is None:
        with db.engine().begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return
    command.upgrade(alembic_config(url), "head")


def levels(connection: Connection) -> tuple[str | None, str]:
    """(the database's migration level, the newest this code has): equal when up to date."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return current, head or ""


def revision(message: str, url: str) -> None:
    """Autogenerate a migration against an up-to-date database (developers only)."""
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)
