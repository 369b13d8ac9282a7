"""Requests as Slack sends them: signed bodies for the slash command, modals and buttons."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.support.fake_slack import SIGNING_SECRET


def signed(
    body: bytes, *, content_type: str, secret: str = SIGNING_SECRET, age_s: float = 0
) -> dict[str, str]:
    """Headers that sign ``body`` the way Slack does, ``age_s`` seconds ago."""
    ts = str(int(time.time() - age_s))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def signed_raw(body: bytes, *, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's signature scheme over raw bytes (for bodies that are not UTF-8)."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


def form_body(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def interaction_body(payload: dict[str, Any]) -> bytes:
    return form_body({"payload": json.dumps(payload)})


FORM = "application/x-www-form-urlencoded"


def slash_command(user: str = "UREPORTER", trigger: str = "T-trigger-1") -> dict[str, str]:
    return {
        "command": "/coc-report",
        "text": "",
        "user_id": user,
        "channel_id": "CGENERAL",
        "trigger_id": trigger,
        "response_url": "https://hooks.slack.com/commands/T/1/x",
    }


def message_shortcut(*, user: str, channel: str, ts: str, text: str) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": "care_report_message",
        "trigger_id": "T-trigger-2",
        "user": {"id": user},
        "channel": {"id": channel},
        "message": {"type": "message", "user": "UAUTHOR", "ts": ts, "text": text},
        "response_url": "https://hooks.slack.com/app/T/2/y",
    }


def _text(value: str | None) -> dict[str, Any]:
    return {"v": {"type": "plain_text_input", "value": value}}


def _checked(value: str | None) -> dict[str, Any]:
    chosen = [{"value": value}] if value else []
    return {"v": {"type": "checkboxes", "selected_options": chosen}}


def submission(
    *,
    user: str,
    view_id: str = "VREPORT1",
    narrative: str = "Someone kept interrupting me in the hallway",
    where: str | None = None,
    danger: bool = False,
    contact_ok: bool = True,
    on_behalf: bool = False,
    their_email: str | None = None,
    their_consent: bool = False,
    private_metadata: str = "",
) -> dict[str, Any]:
    """A view_submission of CARE's report form with these answers."""
    values = {
        "danger": {
            "v": {"type": "radio_buttons", "selected_option": {"value": "yes" if danger else "no"}}
        },
        "what": _text(narrative),
        "when": _text(None),
        "where": _text(where),
        "who": _text(None),
        "witnesses": _text(None),
        "contact": _checked("ok" if contact_ok else None),
        "behalf": _checked("yes" if on_behalf else None),
        "for_name": _text(None),
        "for_user": {"v": {"type": "users_select", "selected_user": None}},
        "for_email": _text(their_email),
        "for_consent": _checked("yes" if their_consent else None),
    }
    return {
        "type": "view_submission",
        "user": {"id": user},
        "view": {
            "id": view_id,
            "callback_id": "care_report",
            "private_metadata": private_metadata,
            "state": {"values": values},
        },
    }


def click(
    action_id: str, value: str, *, user: str, response_url: str | None = None
) -> dict[str, Any]:
    """A block_actions payload: one button under a team notice."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user},
        "trigger_id": "T-trigger-3",
        "channel": {"id": "CTEAM0001"},
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
    }
    if response_url:
        payload["response_url"] = response_url
    return payload


def event(event_id: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event_callback", "event_id": event_id, "event": inner}
