"""Slack's HTTP request URLs: the slash command, shortcuts, modals, buttons and events.

Every request is verified on its raw bytes with the app's signing secret (a bad signature
or one older than five minutes gets 401, the same signed request sent again gets 409:
``intake.slack_replay``) before anything is parsed. Slack wants an answer
within 3 s, so each endpoint answers first and works after (``BackgroundTasks``); only a
submitted report is stored before the answer, so a valid report is never lost.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, ValidationError
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from adapters import slack
from adapters.receipts import follow_up
from intake import slack_actions, slack_events, slack_replay
from intake.slack_modal import CALLBACK, report_modal, thanks_view
from intake.slack_openapi import NOT_CONFIGURED, documented
from intake.slack_report import field_errors, parse_submission
from intake.wording import texts
from models import db
from models.settings import get_settings
from models.tables import Member
from models.validation import InvalidInput
from record.reports import receive

log = logging.getLogger("care.intake.slack")
router = APIRouter(prefix="/slack", tags=["slack"])
MAX_BODY = 512 * 1024


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Id(_Loose):
    id: str


class _Action(_Loose):
    action_id: str
    value: str = ""


class _View(_Loose):
    id: str
    callback_id: str = ""
    private_metadata: str = ""
    state: dict[str, Any] = {}


class _Interaction(_Loose):
    type: str
    user: _Id
    trigger_id: str | None = None
    response_url: str | None = None
    channel: _Id | None = None
    callback_id: str | None = None
    message: dict[str, Any] | None = None
    actions: list[_Action] = []
    view: _View | None = None


async def _verified(request: Request) -> bytes:
    """The raw body, if Slack signed it in the last five minutes; else 401 (409: a replay)."""
    secret = get_settings().slack_signing_secret
    if secret is None or not secret.get_secret_value().strip():
        raise HTTPException(503, NOT_CONFIGURED)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, "request body too large")
    try:
        valid = SignatureVerifier(secret.get_secret_value()).is_valid_request(
            body, dict(request.headers)
        )
    except (ValueError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise HTTPException(401, "invalid or stale Slack signature")
    signature = request.headers["x-slack-signature"]
    if not await run_in_threadpool(slack_replay.first_use, signature):
        raise HTTPException(409, slack_replay.REPLAYED)
    return body


def _form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "the body is not a form") from None


@router.post("/commands", **documented("commands", "the form is opening"))
async def command(request: Request, background: BackgroundTasks) -> Response:
    """``/coc-report``: open the report form."""
    form = _form(await _verified(request))
    if not form.get("trigger_id") or not form.get("user_id"):
        raise HTTPException(400, "trigger_id and user_id are required")
    background.add_task(_open_form, form["trigger_id"], None)
    return Response(status_code=200)


@router.post(
    "/interactivity",
    **documented("interactivity", "handled; a submitted form gets its next view as JSON"),
)
async def interactivity(request: Request, background: BackgroundTasks) -> Any:
    """Shortcuts, the form's submission and the notices' buttons."""
    form = _form(await _verified(request))
    try:
        payload = _Interaction.model_validate(json.loads(form.get("payload", "")))
    except (ValueError, ValidationError):
        raise HTTPException(400, "payload is missing or not a Slack interaction") from None
    if payload.type in ("shortcut", "message_action"):
        if not payload.trigger_id:
            raise HTTPException(400, "trigger_id is required")
        background.add_task(_open_form, payload.trigger_id, _origin(payload))
    elif payload.type == "view_submission":
        return await _submission(payload, background)
    elif payload.type == "block_actions":
        for action in payload.actions:
            click = slack_actions.Click(
                action_id=action.action_id,
                value=action.value,
                user_id=payload.user.id,
                channel_id=payload.channel.id if payload.channel else None,
                response_url=payload.response_url,
                trigger_id=payload.trigger_id,
            )
            background.add_task(slack_actions.handle, click)
    return Response(status_code=200)


def _origin(payload: _Interaction) -> dict[str, Any] | None:
    message = payload.message or {}
    if payload.type != "message_action" or not payload.channel or not message.get("ts"):
        return None
    return {
        "channel": payload.channel.id,
        "ts": str(message["ts"]),
        "author": str(message.get("user") or message.get("bot_id") or ""),
        "text": str(message.get("text") or ""),
    }


def _open_form(trigger_id: str, origin: dict[str, Any] | None) -> None:
    try:
        slack.open_view(trigger_id, report_modal(origin))
    except Exception:
        log.exception("could not open the Slack report form")


def _relayer(user_id: str) -> str | None:
    """The handle of the active member with this Slack user id, if there is one."""
    try:
        with db.session_scope() as session:
            member = session.scalar(select(Member).where(Member.slack_user_id == user_id))
            return member.handle if member is not None and member.active else None
    except Exception as exc:  # storing will say so; the form stays open
        log.error("member lookup failed (%s)", type(exc).__name__)
        return None


async def _submission(payload: _Interaction, background: BackgroundTasks) -> Any:
    view = payload.view
    if view is None or view.callback_id != CALLBACK:
        return Response(status_code=200)  # not our form: nothing to do
    relayer = await run_in_threadpool(_relayer, payload.user.id)
    try:
        report = parse_submission(
            view_id=view.id,
            values=view.state.get("values") or {},
            private_metadata=view.private_metadata,
            user_id=payload.user.id,
            relayer=relayer,
        )
    except ValidationError as exc:
        return {"response_action": "errors", "errors": field_errors(exc)}
    except (ValueError, TypeError, AttributeError):
        raise HTTPException(400, "the submitted view is not CARE's report form") from None
    try:
        received = await run_in_threadpool(receive, report)
    except InvalidInput as exc:
        return {"response_action": "errors", "errors": {"what": f"Not stored. {texts(exc)[0]}"}}
    except Exception as exc:  # keep the form open with the text in it: nothing is lost
        log.error("slack report could not be stored (%s)", type(exc).__name__)
        message = "CARE could not store the report just now; please press Send again."
        return {"response_action": "errors", "errors": {"what": message}}
    if received.created:  # a second delivery must not race the first one's notices
        background.add_task(follow_up, received)
    view_ = thanks_view(received.code, urgent=received.urgent, created=received.created)
    return {"response_action": "update", "view": view_}


@router.post("/events", **documented("events", "handled; URL verification gets its challenge"))
async def events(request: Request, background: BackgroundTasks) -> Any:
    """The Events API: URL verification, and a pointer to the form for direct messages."""
    try:
        payload = json.loads(await _verified(request))
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise HTTPException(400, "the body is not a Slack event")
    if payload.get("type") == "url_verification":
        return {"challenge": str(payload.get("challenge") or "")}
    event, event_id = payload.get("event"), payload.get("event_id")
    if payload.get("type") != "event_callback" or not isinstance(event, dict) or not event_id:
        raise HTTPException(400, "not an event callback")
    if not await run_in_threadpool(slack_events.first_delivery, str(event_id)):
        return Response(status_code=200)  # a retry of an event already handled
    if slack_events.is_direct_message(event):
        background.add_task(slack_events.point_to_form, str(event["user"]), str(event_id))
    return Response(status_code=200)
