"""Slack Events API deliveries: each handled once, whatever Slack retries.

A direct message to the app is answered with a button that opens the report form: the
team does not read the app's direct messages, and a chat is not a report.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from adapters.deliver import deliver
from intake.slack_actions import OPEN_REPORT
from models import db
from models.tables import InboundMessage
from record import outbox

log = logging.getLogger("care.intake.slack")


def first_delivery(event_id: str) -> bool:
    try:
        with db.session_scope() as session, session.begin_nested():
            session.add(InboundMessage(source="slack", key=event_id[:128]))
            session.flush()
    except IntegrityError:
        return False
    return True


def is_direct_message(event: dict[str, Any]) -> bool:
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("bot_id")
        and not event.get("subtype")
        and bool(event.get("user"))
    )


HINT = (
    "Hello. Messages here are not read by the CoC team. To make a report, press the button "
    "(or type /coc-report anywhere); it goes to the team in confidence."
)


def point_to_form(user_id: str, event_id: str) -> None:
    """Answer a direct message with the button that opens the report form (once per event)."""
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": HINT}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Make a report"},
                    "action_id": OPEN_REPORT,
                    "style": "primary",
                }
            ],
        },
    ]
    with db.session_scope() as session:
        message, _ = outbox.queue(
            session,
            channel="slack",
            purpose="slack_hint",
            recipient=user_id,
            body=HINT,
            idempotency_key=f"slack:hint:{event_id}",
            meta={"blocks": blocks},
        )
        message_id = message.id
    try:
        deliver(message_id)
    except Exception:
        log.exception("could not answer a direct message (event %s)", event_id)
