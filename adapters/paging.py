"""Send one recorded page, and fall back to a member's other channels when SMS fails.

A page is never silently dropped: an SMS that cannot be delivered (a refused number, a
persistent Twilio failure, a failed status callback) becomes a Slack DM and an e-mail
(through the outbox); if no channel could take it, the team channel is told.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import zip_longest

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters.deliver import configured, sender
from adapters.outgoing import DeliveryError, MessageOut
from adapters.sms import twilio_client  # noqa: F401  (load twilio now, not on the first page)
from models import db
from models.db import utcnow
from models.settings import get_settings
from models.tables import Incident, Member, Message, Page
from policy.sms import page_link, page_text
from record import audit, outbox
from record.urgent_pages import FAILED, add_page, mark_page

log = logging.getLogger("care.paging")
FALLBACK_CHANNELS = ("slack", "email")
CLAIMABLE = ("queued", "ready")  # a page no sender holds ("ready": see ``claim_ahead``)
DELIVERED = frozenset({"sent", "outbox", "delivered"})


@dataclass(frozen=True)
class Prepared:
    out: MessageOut | None
    status: str


def _address(member: Member, channel: str) -> str | None:
    return {"sms": member.phone, "slack": member.slack_user_id, "email": member.email}[channel]


def _prepare(
    session: Session, page_id: int, after_a_stop: bool, *, ahead: bool = False
) -> Prepared:
    """Queue the page's message and mark it sending, unless it needs no sending.

    Only a queued page is claimed, or one claimed ahead ("ready") by a time-keeper that
    did not send it at its deadline (it stopped). ``after_a_stop``: the incident's run
    starts again and finds its own page "sending": the run that claimed it stopped while
    handing it over. ``ahead``: claimed before its deadline, "ready" (``claim_ahead``); a
    page with no address stays queued until then, since a round whose SMS all failed lets
    the next step page at once.
    """
    # the row lock: the run that recorded the page and a time-keeper taking over pages it
    # thinks were left unsent may reach it at once; on PostgreSQL both would read "queued"
    # and both send it. The one that waited reads "sending" and leaves it.
    page = session.get(Page, page_id, with_for_update=True, populate_existing=True)
    assert page is not None
    incident = session.get(Incident, page.incident_id)
    member = session.get(Member, page.member_id)
    assert incident is not None and member is not None
    db.keep(session, page, incident, member)  # a round's pages share the incident
    if page.status == "sending" and after_a_stop:
        # its sender died while handing it over: whether it went out is unknown; not again
        mark_page(session, page, "unconfirmed", error="interrupted while sending")
        return Prepared(None, "unconfirmed")
    if page.status not in (("queued",) if ahead else CLAIMABLE):
        return Prepared(None, page.status)
    if incident.urgent_acknowledged_at is not None:
        mark_page(session, page, "cancelled")
        return Prepared(None, "cancelled")
    address = _address(member, page.channel)
    if not address and ahead:
        return Prepared(None, "queued")
    if not address:
        mark_page(session, page, "no_address")
        return Prepared(None, "no_address")
    settings = get_settings()
    message, _created = outbox.queue(
        session,
        channel=page.channel,
        purpose="page",
        recipient=address,
        subject=f"URGENT case {incident.code}" if page.channel == "email" else None,
        body=page_text(incident.code, settings.public_url),
        idempotency_key=page.idempotency_key,
        incident=incident,
        meta={"link": page_link(settings.public_url, incident.code)},
        claimed=True,  # ours to send (adapters.deliver leaves a claimed message)
    )
    mark_page(session, page, "ready" if ahead else "sending")
    out = MessageOut(
        id=message.id,
        channel=message.channel,
        purpose=message.purpose,
        recipient=address,
        subject=message.subject,
        body=message.body,
        meta=message.meta or {},
        idempotency_key=message.idempotency_key,
    )
    return Prepared(out, "ready" if ahead else "sending")


@dataclass(frozen=True)
class Outcome:
    status: str
    provider_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Fallback:
    """A failed SMS page's fallbacks on the member's other channels, queued and claimed."""

    code: str
    handle: str
    round_index: int
    prepared: dict[int, Prepared]


def prepare_fallback(session: Session, page: Page) -> Fallback | None:
    """Queue and claim a failed SMS page's fallbacks in the transaction that records its
    failure (None for a page that is not an SMS).

    In one transaction, because a round whose every SMS failed pages the next step at
    once: were the fallbacks queued later, that step's acknowledgement could come first
    and cancel them, and the member whose phone failed would never hear of the case.
    """
    if page.channel != "sms":
        return None
    incident = session.get(Incident, page.incident_id)
    member = session.get(Member, page.member_id)
    assert incident is not None and member is not None
    prepared: dict[int, Prepared] = {}
    for channel in FALLBACK_CHANNELS:
        if _address(member, channel):
            other, _new = add_page(
                session, incident, member, round_index=page.round_index, channel=channel
            )
            prepared[other.id] = _prepare(session, other.id, after_a_stop=False)
    return Fallback(incident.code, member.handle, page.round_index, prepared)


def _send(out: MessageOut) -> Outcome:
    """Hand the message to its provider now (or leave it in the outbox); no database."""
    if not configured(out.channel, get_settings()):
        log.info("outbox: message %s (%s, page)", out.id, out.channel)
        return Outcome("outbox")
    try:
        return Outcome("sent", provider_id=sender(out.channel)(out))
    except DeliveryError as exc:
        return Outcome("failed", error=str(exc))


def _send_all(to_send: dict[int, MessageOut]) -> dict[int, Outcome]:
    """Send side by side: a slow or failing provider holds up no other message."""
    if len(to_send) <= 1:
        return {i: _send(out) for i, out in to_send.items()}
    with ThreadPoolExecutor(max_workers=min(len(to_send), 16)) as pool:
        return dict(zip(to_send, pool.map(_send, to_send.values()), strict=True))


def _record(sent: dict[int, tuple[MessageOut, Outcome]]) -> dict[int, Fallback]:
    """Record every hand-over's outcome on its page and its message, in one transaction,
    with the fallbacks of the SMS that failed."""
    fallbacks: dict[int, Fallback] = {}
    with db.session_scope() as session:
        for page_id in sorted(sent):
            out, outcome = sent[page_id]
            page = session.get(Page, page_id)
            message = session.get(Message, out.id)
            assert page is not None and message is not None
            db.keep(session, page, message, session.get(Incident, page.incident_id))
            details = {"provider_id": outcome.provider_id, "error": outcome.error}
            message.claimed_at = None
            outbox.mark(session, message, outcome.status, **details)
            mark_page(session, page, outcome.status, **details)
            if outcome.status in FAILED:
                fallback = prepare_fallback(session, page)
                if fallback is not None:
                    fallbacks[page_id] = fallback
    return fallbacks


def deliver_pages(page_ids: list[int], *, after_a_stop: bool = False) -> list[str]:
    """Send recorded pages (see ``deliver_new_pages``); ``after_a_stop``: the pages of a
    run that stopped, sent by the run started again (see ``_prepare``)."""
    return deliver_new_pages(lambda _session: page_ids, after_a_stop=after_a_stop)


def deliver_new_pages(
    record: Callable[[Session], list[int]], *, after_a_stop: bool = False
) -> list[str]:
    """Record pages and claim them in one transaction (``record`` adds them and returns
    their ids), then send them side by side; an SMS that fails falls back to the member's
    other channels. Return their statuses.

    Few transactions whatever the number of pages (one to record and claim them, one to
    record how they went, and as much again for the fallbacks): each is one more append
    to the audit chain, on the way from a round's deadline to its first SMS."""
    fallbacks: dict[int, Fallback] = {}
    with db.session_scope() as session:
        page_ids = record(session)
        ordered = sorted(page_ids)  # rows locked in one order: two senders cannot deadlock
        prepared = {i: _prepare(session, i, after_a_stop) for i in ordered}
        for page_id, ready in prepared.items():
            if ready.status in FAILED:  # no address, or lost while sending: not by SMS
                page = session.get(Page, page_id)
                assert page is not None
                fallback = prepare_fallback(session, page)
                if fallback is not None:
                    fallbacks[page_id] = fallback
    if not page_ids:
        return []
    to_send = {i: ready.out for i, ready in prepared.items() if ready.out is not None}
    outcomes = _send_all(to_send)
    if outcomes:
        fallbacks |= _record({i: (to_send[i], outcome) for i, outcome in outcomes.items()})
    send_fallbacks(list(fallbacks.values()))
    status = {i: outcomes[i].status if i in outcomes else prepared[i].status for i in ordered}
    return [status[page_id] for page_id in page_ids]


@dataclass(frozen=True)
class Claimed:
    """A round's pages recorded and claimed ahead of its deadline (``claim_ahead``)."""

    page_ids: list[int]  # every page recorded, in the order to send
    messages: dict[int, MessageOut]  # the "ready" ones' messages
    queued: list[int]  # left queued (no address): sent at the deadline like any page


def claim_ahead(record: Callable[[Session], list[int]]) -> Claimed:
    """Record pages and claim them ahead of their deadline, in one transaction: each is
    "ready", its message queued and claimed, so that at the deadline only sending is left
    (``send_claimed``). None of them is sent here."""
    with db.session_scope() as session:
        page_ids = record(session)
        prepared = {i: _prepare(session, i, False, ahead=True) for i in sorted(page_ids)}
    messages = {i: out for i in page_ids if (out := prepared[i].out) is not None}
    queued = [i for i in page_ids if prepared[i].status == "queued"]
    return Claimed(page_ids, messages, queued)


def _take(page_ids: list[int]) -> set[int]:
    """At the deadline: mark sending, in one statement, the "ready" pages whose case
    nobody has taken (nor closed) meanwhile; return their ids.

    One UPDATE and no audit entry (the outcome's, a moment later, has one): the round's
    deadline waits on nothing else, not on the audit chain other writers hold. A page
    another sender took over (a time-keeper that thought it left unsent) is no longer
    "ready": exactly one of them sends it."""
    if not page_ids:
        return set()
    still_wanted = select(Incident.id).where(
        Incident.urgent.is_(True),
        Incident.urgent_acknowledged_at.is_(None),
        Incident.status != "closed",
    )
    taking = (
        update(Page)
        .where(Page.id.in_(page_ids), Page.status == "ready", Page.incident_id.in_(still_wanted))
        .values(status="sending", updated_at=utcnow())
        .returning(Page.id)
        .execution_options(synchronize_session=False)
    )
    with db.session_scope() as session:
        return set(session.scalars(taking))


def _cancel(page_ids: list[int]) -> None:
    """Cancel the pages claimed ahead whose case was taken (or closed) before their
    deadline, and their messages (else the outbox would send them once the claim is old)."""
    with db.session_scope() as session:
        for page_id in sorted(page_ids):
            page = session.get(Page, page_id, with_for_update=True, populate_existing=True)
            if page is None or page.status != "ready":
                continue  # another sender took it over
            mark_page(session, page, "cancelled")
            message = session.scalar(
                select(Message).where(Message.idempotency_key == page.idempotency_key)
            )
            if message is not None and message.status == "pending":
                message.claimed_at = None
                outbox.mark(session, message, "cancelled")


def send_claimed(rounds: list[Claimed]) -> None:
    """At the deadline, send the pages of rounds claimed ahead (``claim_ahead``), the
    first page of each round first; record how they went, and fall back where an SMS
    failed, as ``deliver_pages`` does."""
    order = [i for row in zip_longest(*(r.page_ids for r in rounds)) for i in row if i is not None]
    messages = {i: out for r in rounds for i, out in r.messages.items()}
    taken = _take([i for i in order if i in messages])
    to_send = {i: messages[i] for i in order if i in taken}
    outcomes = _send_all(to_send)
    fallbacks: dict[int, Fallback] = {}
    if outcomes:
        fallbacks |= _record({i: (to_send[i], outcome) for i, outcome in outcomes.items()})
    send_fallbacks(list(fallbacks.values()))
    if left := [i for i in messages if i not in taken]:
        _cancel(left)
    if queued := [i for r in rounds for i in r.queued]:
        deliver_pages(queued)


def release_claimed(rounds: list[Claimed]) -> None:
    """Give back pages claimed ahead that will not be sent by their claimant (its
    time-keeper stops): queued again, for the next one (``stalled_pages``) or the run."""
    page_ids = sorted(i for r in rounds for i in r.messages)
    with db.session_scope() as session:
        for page_id in page_ids:
            page = session.get(Page, page_id, with_for_update=True, populate_existing=True)
            if page is None or page.status != "ready":
                continue
            mark_page(session, page, "queued")
            message = session.scalar(
                select(Message).where(Message.idempotency_key == page.idempotency_key)
            )
            if message is not None:
                message.claimed_at = None


def send_fallbacks(fallbacks: list[Fallback]) -> int:
    """Send the fallbacks prepared by ``prepare_fallback``; return how many members they
    reached. A member none of them reached is recorded and reported in the team channel."""
    to_send = {
        i: ready.out
        for fallback in fallbacks
        for i, ready in fallback.prepared.items()
        if ready.out is not None
    }
    outcomes = _send_all(to_send)
    if outcomes:
        _record({i: (to_send[i], outcome) for i, outcome in outcomes.items()})
    reached = 0
    for fallback in fallbacks:
        statuses = [
            outcomes[i].status if i in outcomes else ready.status
            for i, ready in fallback.prepared.items()
        ]
        if any(status in DELIVERED for status in statuses):
            reached += 1
        else:
            report_undeliverable(fallback.code, fallback.handle, fallback.round_index)
    return reached


def report_undeliverable(incident_code: str, member_handle: str, round_index: int) -> None:
    """Record that no channel reached the member, and tell the team channel if it can."""
    with db.session_scope() as session:
        audit.record(
            session,
            actor="care",
            action="page.undeliverable",
            incident_code=incident_code,
            member=member_handle,
            round=round_index,
        )
    try:
        from adapters.notices import announce_page_failure

        announce_page_failure(incident_code, member_handle, round_index=round_index)
    except Exception as exc:  # a missing Slack config must not lose the record above
        log.warning(
            "could not report the failed page of %s in the team channel: %s",
            incident_code,
            type(exc).__name__,
        )
