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

from sqlalchemy.orm import Session

from adapters.deliver import configured, sender
from adapters.outgoing import DeliveryError, MessageOut
from adapters.sms import twilio_client  # noqa: F401  (load twilio now, not on the first page)
from models import db
from models.settings import get_settings
from models.tables import Incident, Member, Message, Page
from policy.sms import page_link, page_text
from record import audit, outbox
from record.urgent_pages import FAILED, add_page, mark_page

log = logging.getLogger("care.paging")
FALLBACK_CHANNELS = ("slack", "email")
DELIVERED = frozenset({"sent", "outbox", "delivered"})


@dataclass(frozen=True)
class Prepared:
    out: MessageOut | None
    status: str


def _address(member: Member, channel: str) -> str | None:
    return {"sms": member.phone, "slack": member.slack_user_id, "email": member.email}[channel]


def _prepare(session: Session, page_id: int, after_a_stop: bool) -> Prepared:
    """Queue the page's message and mark it sending, unless it needs no sending.

    Only a queued page is claimed. ``after_a_stop``: the incident's run starts again and
    finds its own page "sending": the run that claimed it stopped while handing it over.
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
    if page.status != "queued":
        return Prepared(None, page.status)
    if incident.urgent_acknowledged_at is not None:
        mark_page(session, page, "cancelled")
        return Prepared(None, "cancelled")
    address = _address(member, page.channel)
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
    mark_page(session, page, "sending")
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
    return Prepared(out, "sending")


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
