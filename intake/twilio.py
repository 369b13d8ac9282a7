"""Twilio webhooks: SMS replies ("ACK DCE26-7") and delivery status callbacks.

Every request must carry a valid ``X-Twilio-Signature`` over the public URL Twilio called
(``settings.public_url`` + path): without an auth token configured, every request is
refused. Inbound messages are handled once per ``MessageSid``. A number that is not a
member's gets an empty answer and no information.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import NamedTuple

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from adapters.follow_up import carry_out
from adapters.paging import Fallback, prepare_fallback, send_fallbacks
from models import db
from models.db import utcnow
from models.settings import get_settings
from models.tables import InboundMessage, Member
from models.validation import InvalidInput
from policy.codes import parse_ack_sms
from policy.refusals import to_you
from record import audit
from record.acts.acknowledge import take_urgent_case
from record.acts.follow import NOTHING, FollowUp
from record.urgent_pages import member_by_phone, open_page_codes, record_provider_status

log = logging.getLogger("care.intake.twilio")
router = APIRouter(
    prefix="/twilio",
    tags=["twilio"],
    responses={
        400: {"description": "Not a Twilio webhook form"},
        403: {"description": "Not signed by Twilio (or no Twilio auth token configured)"},
    },
)


async def verified_form(request: Request) -> dict[str, str]:
    """The request's form fields, if Twilio signed them; else 403."""
    settings = get_settings()
    form = await request.form()
    params = {key: value for key, value in form.items() if isinstance(value, str)}
    signature = request.headers.get("X-Twilio-Signature", "")
    url = settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    token = settings.twilio_auth_token
    if token is None or not token.get_secret_value() or not signature:
        raise HTTPException(403, "request not signed by Twilio")
    if not RequestValidator(token.get_secret_value()).validate(url, params, signature):
        raise HTTPException(403, "request not signed by Twilio")
    return params


class Reply(NamedTuple):
    text: str
    follow: FollowUp = NOTHING


def twiml(text: str | None) -> Response:
    reply = MessagingResponse()
    if text:
        reply.message(text)
    return Response(str(reply), media_type="application/xml")


def _first_delivery(session: Session, message_sid: str) -> bool:
    """Remember the MessageSid; False if it was handled before."""
    known = select(InboundMessage.id).where(
        InboundMessage.source == "twilio", InboundMessage.key == message_sid
    )
    if session.scalar(known) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(InboundMessage(source="twilio", key=message_sid[:128]))
            session.flush()
    except IntegrityError:  # the same delivery, handled a moment ago by another worker
        return False
    return True


def _acknowledge(session: Session, member: Member, body: str, at: datetime) -> Reply:
    """Record an ACK from a member's phone; the reply (codes and handles only) and what
    must follow."""
    is_ack, code = parse_ack_sms(body)
    if not is_ack:
        return Reply("To take an urgent case reply ACK and its code, e.g. ACK DCE26-7.")
    if code is None:
        open_codes = open_page_codes(session, member)
        if len(open_codes) != 1:
            listed = ", ".join(open_codes) or "none"
            return Reply(f"Open pages: {listed}. Reply ACK and the case code.")
        code = open_codes[0]
    try:
        result = take_urgent_case(
            session, incident_code=code, handle=member.handle, channel="sms", submitted_at=at
        )
    except InvalidInput:
        return Reply(f"Nothing to acknowledge for {code}.")
    code = result.incident_code
    if not result.counted:
        return Reply(f"ACK for {code} not counted: {to_you(result.refusal or '')}.")
    if result.first:
        return Reply(f"ACK {code}: you are the first responder.", result.follow)
    return Reply(f"ACK {code} recorded.", result.follow)


def handle_sms(params: dict[str, str]) -> str | None:
    """Handle one verified inbound SMS once; return the reply, if any."""
    received_at = utcnow()
    message_sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not message_sid:
        raise InvalidInput("MessageSid is missing")
    with db.session_scope() as session:
        if not _first_delivery(session, message_sid):
            return None
        member = member_by_phone(session, params.get("From", ""))
        if member is None or not member.active:
            audit.record(session, actor="intake:sms", action="sms.unknown_sender")
            log.info("sms %s from a number that is no member's: ignored", message_sid)
            return None
        reply = _acknowledge(session, member, params.get("Body", ""), received_at)
    carry_out(reply.follow)
    return reply.text


@router.post("/sms")
async def inbound_sms(request: Request) -> Response:
    """An SMS to CARE's number: "ACK DCE26-7" (or a plain "ACK") acknowledges a page."""
    params = await verified_form(request)
    try:
        reply = await run_in_threadpool(handle_sms, params)
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from None
    return twiml(reply)


def handle_status(params: dict[str, str]) -> Fallback | None:
    """Apply a status callback; if its SMS newly failed, the fallbacks to send (queued in
    the same transaction: see ``prepare_fallback``)."""
    sid, status = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or not status:
        raise InvalidInput("MessageSid and MessageStatus are required")
    with db.session_scope() as session:
        page, failed = record_provider_status(session, sid, status, params.get("ErrorCode"))
        return prepare_fallback(session, page) if page is not None and failed else None


@router.post("/status", status_code=204)
async def delivery_status(request: Request, background: BackgroundTasks) -> Response:
    """Twilio's delivery status of a page; a failed SMS falls back to other channels."""
    params = await verified_form(request)
    try:
        fallback = await run_in_threadpool(handle_status, params)
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from None
    if fallback is not None:
        background.add_task(send_fallbacks, [fallback])
    return Response(status_code=204)
