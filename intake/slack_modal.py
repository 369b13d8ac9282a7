"""The Slack report form: the modal's blocks and the view shown after sending.

Opened by ``/coc-report``, the "Report this message" shortcut or the button under the
app's reply to a direct message. A message shortcut keeps the reported message (channel,
ts, author, text) in the view's private metadata; ``intake.slack_report`` stores it with
the report as an encrypted attachment.
"""

from __future__ import annotations

import json
from typing import Any

CALLBACK = "care_report"
METADATA_LIMIT = 3000
DANGER = "danger"


def _text(block_id: str, label: str, *, multiline: bool = False, optional: bool = True) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "plain_text_input",
            "action_id": "v",
            "multiline": multiline,
            "max_length": 3000 if multiline else 1900,
        },
    }


def _option(value: str, text: str) -> dict[str, Any]:
    return {"value": value, "text": {"type": "plain_text", "text": text}}


def _choice(block_id: str, label: str, kind: str, options: list[dict], initial: list) -> dict:
    element: dict[str, Any] = {"type": kind, "action_id": "v", "options": options}
    if initial:
        key = "initial_option" if kind == "radio_buttons" else "initial_options"
        element[key] = initial[0] if kind == "radio_buttons" else initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _origin_blocks(origin: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not origin:
        return []
    note = f"You are reporting a message in <#{origin['channel']}>; it is kept with the report."
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]


def report_modal(origin: dict[str, Any] | None = None) -> dict[str, Any]:
    """The modal view; ``origin`` is the reported message of a message shortcut."""
    no, yes = _option("no", "No"), _option("yes", "Yes, someone is in danger right now")
    contact_ok = _option("ok", "The CoC team may contact me on Slack about this report")
    behalf = _option("yes", "I am passing this on for someone else")
    consent = _option("yes", "They agreed that the CoC team may contact them")
    blocks = [
        *_origin_blocks(origin),
        _choice(DANGER, "Is anyone in danger right now?", "radio_buttons", [no, yes], [no]),
        _text("what", "What happened?", multiline=True, optional=False),
        _text("when", "When did it happen?"),
        _text("where", "Where did it happen?"),
        _text("who", "Who was involved? (names or descriptions)"),
        _text("witnesses", "Did anyone else see it?"),
        _choice("contact", "Contact", "checkboxes", [contact_ok], [contact_ok]),
        {"type": "divider"},
        _choice("behalf", "On behalf of someone else", "checkboxes", [behalf], []),
        _text("for_name", "Their name"),
        {
            "type": "input",
            "block_id": "for_user",
            "optional": True,
            "label": {"type": "plain_text", "text": "Their Slack account, if they have one"},
            "element": {"type": "users_select", "action_id": "v"},
        },
        _text("for_email", "Or their e-mail address"),
        _choice("for_consent", "Their consent", "checkboxes", [consent], []),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": {"type": "plain_text", "text": "Report to the CoC team"},
        "submit": {"type": "plain_text", "text": "Send report"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata(origin),
        "blocks": blocks,
    }


def metadata(origin: dict[str, Any] | None) -> str:
    """The reported message as private metadata, its text cut to fit Slack's 3000 chars."""
    if not origin:
        return ""
    origin = dict(origin)
    text = str(origin.get("text") or "")
    while True:
        encoded = json.dumps({**origin, "text": text}, separators=(",", ":"))
        if len(encoded) <= METADATA_LIMIT:
            return encoded
        text = text[: max(0, len(text) - (len(encoded) - METADATA_LIMIT) - 8)]


def thanks_view(code: str, *, urgent: bool, created: bool) -> dict[str, Any]:
    """What the reporter sees after sending: the case code and what happens next."""
    if not created:
        text = f"The CoC team already has this report (case *{code}*). Nothing was sent twice."
    elif urgent:
        text = (
            f"Thank you. Your report reached the CoC team as case *{code}* and the people on "
            "call are being paged now. If someone is in immediate danger, also call the "
            "local emergency number."
        )
    else:
        text = (
            f"Thank you. Your report reached the CoC team as case *{code}*. The team will "
            "look at it together and get back to you if you agreed to be contacted."
        )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Report sent"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }
