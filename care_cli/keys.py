"""`care key`: generate and rotate the encryption key."""

from __future__ import annotations

import typer
from cryptography.fernet import Fernet
from rich.console import Console

from models import db
from models.settings import get_settings, load_or_create_key_file, write_key_file
from record import audit, rekey

app = typer.Typer(no_args_is_help=True, help="The encryption key.")
console = Console()


@app.command("generate")
def generate() -> None:
    """Print a new key for CARE_ENCRYPTION_KEY."""
    print(Fernet.generate_key().decode())


@app.command("rotate")
def rotate() -> None:
    """Re-encrypt everything under a new key.

    On the embedded default a new key is generated into the key file. Elsewhere set the new
    key in CARE_ENCRYPTION_KEY and the old one in CARE_PREVIOUS_ENCRYPTION_KEYS, run this,
    then remove the old key.
    """
    settings = get_settings()
    new_file_keys: list[str] | None = None
    if settings.encryption_key is None:
        old = load_or_create_key_file(settings.key_file)
        new_file_keys = [Fernet.generate_key().decode(), *old]
        write_key_file(settings.key_file, new_file_keys)  # new key first, old ones still read
    db.configure(settings)
    with db.session_scope() as session:
        changed = rekey.reencrypt_all(session)
        audit.record(session, actor="operator", action="key.rotate", values=changed)
    if new_file_keys is not None:
        write_key_file(settings.key_file, new_file_keys[:1])
        db.configure(settings)
        console.print(
            f"re-encrypted {changed} values; the old key is removed from {settings.key_file}"
        )
    else:
        console.print(f"re-encrypted {changed} values; now remove CARE_PREVIOUS_ENCRYPTION_KEYS")
