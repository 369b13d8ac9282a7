"""Who is acting: the member behind a handle, proven by their code where the channel cannot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import totp
from models.tables import Member
from policy.signoff import Refusal


def find_member(session: Session, handle: str) -> Member | None:
    """The member with this handle (case and spaces ignored), if any."""
    return session.scalar(select(Member).where(Member.handle == normal(handle)))


def normal(handle: str) -> str:
    return handle.strip().lower()


def prove(
    member: Member | None,
    *,
    code: str | None,
    channel: str,
    trusted: frozenset[str],
    submitted_at: datetime,
) -> Refusal | None:
    """None if the channel proves who acts or the code does at the moment it was submitted.

    An accepted code is used up: the member's last time step moves on to it.
    """
    if channel in trusted or member is None:
        return None
    verdict, step = totp.check_code(
        member.totp_secret,
        code or "",
        last_step=member.totp_last_step,
        at=submitted_at.timestamp(),
    )
    if verdict is totp.CodeCheck.ok:
        member.totp_last_step = step
        return None
    return Refusal.code_reused if verdict is totp.CodeCheck.code_reused else Refusal.bad_code
