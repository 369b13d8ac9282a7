"""Replayed Slack requests: a signed request is handled once, however often it is sent.

A Slack signature covers the timestamp and the body, and is good for five minutes either
way of now, so a captured request could be sent again in that window. Each verified
request's signature is remembered as its SHA-256 digest in ``inbound_messages`` (source
``slack-signature``), beside Twilio's MessageSids and Slack's event ids, and a second one is
refused: the unique (source, key) constraint makes the check one insert that holds across
uvicorn workers and hosts, on SQLite and PostgreSQL. Slack signs each of its own retries
anew (a later timestamp), so they pass; the Events API's are deduplicated by event id
(``slack_events.first_delivery``). A digest is forgotten once no request signed at the
same time could still be accepted: ten minutes after it was received.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from models import db
from models.db import utcnow
from models.tables import InboundMessage

log = logging.getLogger("care.intake.slack")
SOURCE = "slack-signature"
WINDOW = timedelta(minutes=5)  # slack_sdk's SignatureVerifier: |now - timestamp| <= 5 min
KEEP = 2 * WINDOW  # a timestamp up to 5 min ahead stays good until 10 min after receipt
REPLAYED = "this signed Slack request was already received (a replay); it is not handled again"


def first_use(signature: str) -> bool:
    """Remember a verified request's signature; False if it was seen before."""
    digest = hashlib.sha256(signature.encode()).hexdigest()
    try:
        with db.session_scope() as session, session.begin_nested():
            session.add(InboundMessage(source=SOURCE, key=digest))
            session.flush()
    except IntegrityError:  # the same bytes, here or at another worker, a moment ago
        return False
    _prune()
    return True


def _prune() -> None:
    """Forget the digests no request could match any more (on its own: never blocks one)."""
    try:
        with db.session_scope() as session:
            session.execute(
                delete(InboundMessage).where(
                    InboundMessage.source == SOURCE, InboundMessage.received_at < utcnow() - KEEP
                )
            )
    except SQLAlchemyError as exc:  # e.g. two workers pruning at once; the next one will
        log.warning("could not prune Slack signatures (%s)", type(exc).__name__)
