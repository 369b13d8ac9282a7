"""Talk to the team's mailbox over IMAP: unseen messages, their bytes, mark them seen.

``BODY.PEEK[]`` leaves a message unseen until it is stored, so a crash between fetching and
storing only means the next poll takes it again (and the record recognises it).
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from models.settings import Settings, get_settings

TIMEOUT_S = 30.0


class MailboxError(RuntimeError):
    """The mailbox could not be read (no personal data in the message)."""


@contextmanager
def mailbox(settings: Settings | None = None) -> Iterator[imaplib.IMAP4]:
    """A logged-in connection with INBOX selected (read-write)."""
    settings = settings or get_settings()
    if not (settings.imap_host and settings.imap_user and settings.imap_password):
        raise MailboxError("IMAP is not configured (CARE_IMAP_HOST, _USER, _PASSWORD)")
    try:
        conn = _connect(settings)
        conn.login(settings.imap_user, settings.imap_password.get_secret_value())
        _ok(conn.select("INBOX"), "SELECT")
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"cannot open the mailbox ({type(exc).__name__})") from None
    try:
        yield conn
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            conn.logout()


def _connect(settings: Settings) -> imaplib.IMAP4:
    assert settings.imap_host
    if settings.imap_ssl:
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(
            settings.imap_host, settings.imap_port, ssl_context=context, timeout=TIMEOUT_S
        )
    return imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=TIMEOUT_S)


def unseen(conn: imaplib.IMAP4) -> list[str]:
    """UIDs of the messages nobody has taken yet (UID SEARCH UNSEEN)."""
    data = _ok(conn.uid("SEARCH", "UNSEEN"), "SEARCH")
    return [uid.decode() for uid in (data[0] or b"").split()]


def fetch(conn: imaplib.IMAP4, uid: str) -> bytes | None:
    """The whole message, without marking it seen (FETCH BODY.PEEK[]); None if gone."""
    data = _ok(conn.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None


def mark_seen(conn: imaplib.IMAP4, uid: str, *, flag_for_review: bool = False) -> None:
    """STORE +FLAGS \\Seen (and \\Flagged for a message a human should look at)."""
    flags = r"(\Seen \Flagged)" if flag_for_review else r"(\Seen)"
    _ok(conn.uid("STORE", uid, "+FLAGS", flags), "STORE")


def _ok(answer: tuple[str, Any], what: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        raise MailboxError(f"IMAP {what} failed")
    return data
