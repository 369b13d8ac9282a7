"""A submitted Slack report form, parsed into a ``ReportIn``.

The channel message id is the view id, or for a reported message its channel, ts and the
reporter, so a second delivery of the same submission is recognised and stored once.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from intake.slack_modal import DANGER
from intake.wording import explain
from models.schemas import AttachmentIn, ReportIn


class Values:
    """The submitted state of the modal (``view.state.values``), read leniently."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def _element(self, block_id: str) -> dict[str, Any]:
        element = (self.values.get(block_id) or {}).get("v") or {}
        return element if isinstance(element, dict) else {}

    def text(self, block_id: str) -> str | None:
        value = self._element(block_id).get("value")
        return str(value).strip() or None if value is not None else None

    def chosen(self, block_id: str) -> set[str]:
        element = self._element(block_id)
        options = element.get("selected_options") or [element.get("selected_option") or {}]
        return {str(o.get("value")) for o in options if isinstance(o, dict) and o.get("value")}

    def user(self, block_id: str) -> str | None:
        value = self._element(block_id).get("selected_user")
        return str(value) if value else None


def parse_submission(
    *,
    view_id: str,
    values: dict[str, Any],
    private_metadata: str,
    user_id: str,
    relayer: str | None,
) -> ReportIn:
    """The report a submitted modal makes; raises pydantic's ValidationError if invalid.

    ``relayer`` is the handle of the CARE member who submitted it, if they are one.
    """
    form = Values(values)
    origin = json.loads(private_metadata) if private_metadata else None
    if origin is not None and not isinstance(origin, dict):
        raise ValueError("private_metadata is not an object")
    on_behalf = "yes" in form.chosen("behalf")
    fields: dict[str, Any] = {
        "channel": "slack",
        "channel_message_id": _message_id(view_id, origin, user_id),
        "narrative": form.text("what") or "",
        "when_text": form.text("when"),
        "where_text": form.text("where"),
        "involved_text": form.text("who"),
        "witnesses_text": form.text("witnesses"),
        "urgent": "yes" in form.chosen(DANGER),
        "attachments": [_reported_message(origin)] if origin else [],
    }
    if not on_behalf:
        fields |= {
            "reporter_contact": user_id,
            "contact_kind": "slack",
            "consent_to_contact": "ok" in form.chosen("contact"),
        }
        return ReportIn(**fields)
    email, their_user = form.text("for_email"), form.user("for_user")
    fields |= {
        "reporter_name": form.text("for_name"),
        "reporter_contact": their_user or email,
        "contact_kind": "slack" if their_user else ("email" if email else None),
        "consent_to_contact": "yes" in form.chosen("for_consent"),
        "relayed_by": relayer,
    }
    if relayer is None:  # not a member: keep who passed it on, so the team can ask them
        passed_on = f"Passed on via Slack by <@{user_id}>"
        fields["witnesses_text"] = "\n".join(filter(None, [fields["witnesses_text"], passed_on]))
    return ReportIn(**fields)


def _message_id(view_id: str, origin: dict[str, Any] | None, user_id: str) -> str:
    if origin and origin.get("channel") and origin.get("ts"):
        return f"message:{origin['channel']}:{origin['ts']}:{user_id}"
    return f"view:{view_id}"


def _reported_message(origin: dict[str, Any]) -> AttachmentIn:
    content = json.dumps(origin, ensure_ascii=False, indent=1).encode()
    return AttachmentIn(
        filename="reported-slack-message.json", content_type="application/json", content=content
    )


FIELD_BLOCKS = {
    "narrative": "what",
    "when_text": "when",
    "where_text": "where",
    "involved_text": "who",
    "witnesses_text": "witnesses",
    "reporter_name": "for_name",
    "reporter_contact": "for_email",
}


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Slack's ``errors`` response: each sentence under the block it is about."""
    errors: dict[str, str] = {}
    for said in explain(exc):
        field = "reporter_contact" if said.field == "contact" else said.field or ""
        block = FIELD_BLOCKS.get(field, "what")
        errors.setdefault(block, said.text[:150])
    return errors
