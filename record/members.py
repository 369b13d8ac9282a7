"""Team members, on-call shifts and the enrolment of their TOTP secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import totp
from models.db import utcnow
from models.tables import Event, Member, OnCallShift
from models.validation import InvalidInput, email_address, handle, phone_e164
from policy.members import MemberView
from record import audit

TIERS = ("primary", "secondary")


class UnknownMember(InvalidInput):
    pass


def add_member(
    session: Session,
    *,
    handle_: str,
    display_name: str,
    phone: str | None = None,
    email: str | None = None,
    slack_user_id: str | None = None,
    actor: str = "operator",
) -> Member:
    value = handle(handle_)
    if session.scalar(select(Member.id).where(Member.handle == value)):
        raise InvalidInput(f"a member with handle {value!r} already exists")
    if not display_name.strip():
        raise InvalidInput("a display name is required")
    member = Member(
        handle=value,
        display_name=display_name.strip(),
        phone=phone_e164(phone) if phone else None,
        email=email_address(email) if email else None,
        slack_user_id=slack_user_id or None,
    )
    session.add(member)
    session.flush()
    audit.record(session, actor=actor, action="member.add", member=value)
    return member


def get_member(session: Session, handle_: str) -> Member:
    member = session.scalar(select(Member).where(Member.handle == handle_.strip().lower()))
    if member is None:
        raise UnknownMember(f"no member with handle {handle_!r}")
    return member


def list_members(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).order_by(Member.handle)))


def enroll(session: Session, handle_: str, *, actor: str = "operator") -> tuple[str, str]:
    """Give the member a new TOTP secret; return it and its otpauth:// URI."""
    member = get_member(session, handle_)
    secret = totp.new_secret()
    member.totp_secret = secret
    member.totp_last_step = None
    audit.record(session, actor=actor, action="member.enroll", member=member.handle)
    return secret, totp.provisioning_uri(secret, member.handle)


def deactivate(session: Session, handle_: str, *, actor: str = "operator") -> Member:
    member = get_member(session, handle_)
    member.active = False
    member.deactivated_at = utcnow()
    audit.record(session, actor=actor, action="member.deactivate", member=member.handle)
    return member


def set_oncall(
    session: Session,
    *,
    event: Event,
    handle_: str,
    tier: str,
    starts_at: datetime,
    ends_at: datetime,
    actor: str = "operator",
) -> OnCallShift:
    if tier not in TIERS:
        raise InvalidInput(f"tier must be one of {', '.join(TIERS)}, not {tier!r}")
    if ends_at <= starts_at:
        raise InvalidInput("a shift must end after it starts")
    member = get_member(session, handle_)
    shift = OnCallShift(
        event_id=event.id, member_id=member.id, tier=tier, starts_at=starts_at, ends_at=ends_at
    )
    session.add(shift)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="oncall.set",
        member=member.handle,
        tier=tier,
        event=event.slug,
    )
    return shift


def shifts(session: Session, event: Event) -> list[OnCallShift]:
    query = select(OnCallShift).where(OnCallShift.event_id == event.id)
    return list(session.scalars(query.order_by(OnCallShift.starts_at)))


def member_views(
    session: Session, *, event_id: int | None = None, at: datetime | None = None
) -> dict[str, MemberView]:
    """Every member as the policy sees them, with the on-call tier at ``at``."""
    at = at or utcnow()
    tiers: dict[int, str] = {}
    if event_id is not None:
        query = select(OnCallShift).where(
            OnCallShift.event_id == event_id,
            OnCallShift.starts_at <= at,
            OnCallShift.ends_at > at,
        )
        for shift in session.scalars(query):
            if tiers.get(shift.member_id) != "primary":
                tiers[shift.member_id] = shift.tier
    return {
        m.handle: MemberView(handle=m.handle, active=m.active, tier=tiers.get(m.id))
        for m in list_members(session)
    }
