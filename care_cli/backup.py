"""`care backup FILE` and `care restore FILE`: the record, encrypted, and back."""

from __future__ import annotations

from pathlib import Path

import typer

from adapters.backup import BackupError, backup, restore
from care_cli.errors import fail


def backup_command(
    file: Path = typer.Argument(..., help="the backup to write (a new file)"),
) -> None:
    """Write a consistent, encrypted backup of CARE's record (while CARE runs).

    It is encrypted with CARE's encryption key (CARE_ENCRYPTION_KEY; on the embedded
    default, encryption.key in the data directory): keep that key apart from the backups
    (a password manager or secret store). Without the key the backup cannot be read."""
    try:
        kind = backup(file)
    except BackupError as exc:
        fail(str(exc))
    print(f"backed up CARE's record ({kind}) to {file}, encrypted with CARE's encryption key")
    print("keep the key apart from this file: without the key it cannot be restored")


def restore_command(
    file: Path = typer.Argument(..., help="a backup written by `care backup`"),
) -> None:
    """Restore a backup into CARE's database, which must be new and empty."""
    try:
        kind = restore(file)
    except BackupError as exc:
        fail(str(exc))
    print(f"restored CARE's record ({kind}) from {file}; check it with `care audit verify`")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
