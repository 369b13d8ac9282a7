"""Console sessions: a member signed in with handle and TOTP code, for a limited time.

Only the SHA-256 of a session's random token is stored, so a copy of the database signs no
one in. A session ends at sign-out, after ``idle`` without a request, at its absolute
expiry, or at once when its member is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import totp
from models.tables import ConsoleSession, Member
from record import audit

TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: a session token, or why there is none."""

    token: str | None
    refusal: str | None  # refused | code_reused


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    session: Session, *, handle: str, code: str, now: datetime, lifetime: timedelta
) -> SignIn:
    """Check handle and code (each code is accepted once) and open a session."""
    member = session.scalar(
        select(Member).where(Member.handle == handle.strip().lower()[:64]).with_for_update()
    )
    if member is None:
        audit.record(session, actor="anonymous", action="console.signin", result="unknown")
        return SignIn(None, "refused")
    if not member.active:
        _refused(session, member, "inactive")
        return SignIn(None, "refused")
    verdict, step = totp.check_code(
        member.totp_secret, code, last_step=member.totp_last_step, at=now.timestamp()
    )
    if verdict is not totp.CodeCheck.ok:
        _refused(session, member, verdict.value)
        return SignIn(None, "code_reused" if verdict is totp.CodeCheck.code_reused else "refused")
    member.totp_last_step = step
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_hash(token),
            member_id=member.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    audit.record(session, actor=member.handle, action="console.signin", result="ok")
    return SignIn(token, None)


def _refused(session: Session, member: Member, why: str) -> None:
    audit.record(session, actor=member.handle, action="console.signin", result=why)


def live_session(
    session: Session, token: str, *, now: datetime, idle: timedelta
) -> ConsoleSession | None:
    """The session this token opened, if it has not ended, expired or gone idle."""
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        row.ended_at = now
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end_session(session: Session, row: ConsoleSession, *, now: datetime, why: str) -> None:
    row.ended_at = now
    member = session.get(Member, row.member_id)
    audit.record(
        session, actor=member.handle if member else "care", action="console.signout", why=why
    )


def end_member_sessions(session: Session, member_id: int, *, now: datetime) -> int:
    """End every open session of a member (deactivation)."""
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.member_id == member_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
