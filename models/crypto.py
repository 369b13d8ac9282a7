"""Encryption at rest: column types that encrypt on the way in and decrypt on the way out.

The keyring is process-wide and set from settings by :func:`models.db.configure`. Every
value is a Fernet token (AES-128-CBC + HMAC-SHA256, with its own IV), so equal values
never look equal on disk.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import LargeBinary, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_keyring: MultiFernet | None = None


class KeyringMissing(RuntimeError):
    """The database was used before encryption keys were configured."""


class DecryptionFailed(RuntimeError):
    """A stored value cannot be decrypted with any configured key."""


def set_keyring(keyring: MultiFernet | None) -> None:
    global _keyring
    _keyring = keyring


def keyring() -> MultiFernet:
    if _keyring is None:
        raise KeyringMissing("encryption keys are not configured (call models.db.configure)")
    return _keyring


def encrypt_bytes(data: bytes) -> bytes:
    return keyring().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return keyring().decrypt(token)
    except InvalidToken as exc:
        raise DecryptionFailed(
            "a stored value cannot be decrypted with the configured keys"
        ) from exc


class EncryptedText(TypeDecorator[str]):
    """A free-text column stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt_bytes(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt_bytes(value.encode("ascii")).decode("utf-8")


class EncryptedBytes(TypeDecorator[bytes]):
    """A binary column (attachments) stored as a Fernet token."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else encrypt_bytes(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else decrypt_bytes(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        raw = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return encrypt_bytes(raw).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(decrypt_bytes(value.encode("ascii")))
