"""Talk to Slack's Web API: post messages, open modals, answer a click privately.

One ``WebClient`` per call, pointed at ``settings.slack_api_base`` when set (tests use a
fake API on 127.0.0.1). A 429 is retried after Slack's ``Retry-After``; Slack's own error
codes become a ``DeliveryError`` that says whether retrying can help. Error texts carry
Slack's error code only, never the message.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from adapters.outgoing import DeliveryError, MessageOut
from models.settings import Settings, get_settings

log = logging.getLogger("care.slack")

# Slack error codes that the same request will meet again: retrying cannot help.
PERMANENT = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "missing_scope",
        "msg_too_long",
        "no_text",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "token_revoked",
        "user_not_found",
    }
)
TIMEOUT_S = 10
RATE_LIMIT_RETRIES = 3
DEFAULT_RESPONSE_HOST = "hooks.slack.com"


def client(settings: Settings | None = None) -> WebClient:
    """A Web API client with the bot token, retrying rate limits and dropped connections."""
    settings = settings or get_settings()
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    web = WebClient(
        token=token,
        base_url=settings.slack_api_base or WebClient.BASE_URL,
        timeout=TIMEOUT_S,
    )
    web.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    web.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=1))
    return web


def _error(exc: Exception) -> DeliveryError:
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
        return DeliveryError(f"slack: {code}", permanent=code in PERMANENT)
    return DeliveryError(f"slack: unreachable ({type(exc).__name__})")


def call(method: str, **kwargs: Any) -> dict[str, Any]:
    """Call one Web API method; return Slack's answer or raise DeliveryError."""
    try:
        response = client().api_call(method, json=kwargs)
    except (SlackApiError, SlackClientError, URLError, OSError) as exc:
        raise _error(exc) from None
    return dict(response.data) if isinstance(response.data, dict) else {}


def send(message: MessageOut) -> str:
    """Post a message to a channel id, or to a user id (a DM from the app); return its ts."""
    if not message.recipient:
        raise DeliveryError("slack: no recipient (is CARE_SLACK_TEAM_CHANNEL set?)", permanent=True)
    args: dict[str, Any] = {
        "channel": message.recipient,
        "text": message.body,
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if message.meta.get("blocks"):
        args["blocks"] = message.meta["blocks"]
    answer = call("chat.postMessage", **args)
    return str(answer.get("ts") or "")


def open_view(trigger_id: str, view: dict[str, Any]) -> str:
    """Open a modal for the user who triggered it; return the view id."""
    answer = call("views.open", trigger_id=trigger_id, view=view)
    return str((answer.get("view") or {}).get("id") or "")


def _response_url_allowed(url: str, settings: Settings) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname == DEFAULT_RESPONSE_HOST:
        return True
    if settings.slack_api_base:  # tests: the fake API answers response URLs too
        base = urlsplit(settings.slack_api_base)
        return (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
    return False


def tell_privately(
    text: str, *, user: str, channel: str | None = None, response_url: str | None = None
) -> None:
    """Show ``text`` to one user only: through the click's response URL, else chat.postEphemeral.

    Without a channel to post in, the text goes to the user's DM with the app.
    """
    settings = get_settings()
    if response_url and _response_url_allowed(response_url, settings):
        try:
            reply = WebhookClient(response_url, timeout=TIMEOUT_S).send(
                text=text, response_type="ephemeral", replace_original=False
            )
            if reply.status_code == 200:
                return
            log.warning("slack response url answered %s", reply.status_code)
        except (URLError, OSError) as exc:
            log.warning("slack response url unreachable (%s)", type(exc).__name__)
    if channel:
        call("chat.postEphemeral", channel=channel, user=user, text=text)
    else:
        call("chat.postMessage", channel=user, text=text)
