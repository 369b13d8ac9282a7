"""Re-encrypt every encrypted column under the current key (`care key rotate`)."""

from __future__ import annotations

from sqlalchemy import literal, select, type_coerce, update
from sqlalchemy.orm import Session

from models import crypto
from models.tables import Base


def encrypted_columns() -> list[tuple[str, str]]:
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(
                column.type, crypto.EncryptedText | crypto.EncryptedBytes | crypto.EncryptedJSON
            ):
                found.append((table.name, column.name))
    return found


def reencrypt_all(session: Session) -> int:
    """Rotate every stored token to the keyring's first key; return how many changed."""
    keyring = crypto.keyring()
    changed = 0
    for table_name, column_name in encrypted_columns():
        table = Base.metadata.tables[table_name]
        pk = next(iter(table.primary_key.columns))
        raw = table.c[column_name].type.impl  # type: ignore[attr-defined]  # the stored token
        col = table.c[column_name]
        rows = session.execute(select(pk, type_coerce(col, raw)).where(col.is_not(None))).all()
        for key, token in rows:
            token_bytes = token if isinstance(token, bytes) else token.encode("ascii")
            rotated = keyring.rotate(token_bytes)
            value = rotated if isinstance(token, bytes) else rotated.decode("ascii")
            session.execute(
                update(table).where(pk == key).values({column_name: literal(value, raw)})
            )
            changed += 1
    return changed
