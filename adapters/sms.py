"""Send an SMS through Twilio, retrying what Twilio's client does not (429, 5xx, timeouts).

A number Twilio refuses (21211 invalid, 21614 not a mobile, 21610 opted out, ...) is a
permanent failure: retrying will not help, the caller falls back to another channel.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import twilio.rest.api.v2010.account  # noqa: F401  (load the Messages API now, not on a page)
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from adapters.outgoing import DeliveryError, MessageOut
from models.settings import Settings, get_settings

log = logging.getLogger("care.sms")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
STATUS_PATH = "/twilio/status"


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending every request to another base URL (a fake API)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        rebased = urlunsplit(
            (self.base.scheme, self.base.netloc, parts.path, parts.query, parts.fragment)
        )
        return super().request(method, rebased, *args, **kwargs)


_clients: dict[tuple[str, str, str | None, float], Client] = {}


def twilio_client(settings: Settings) -> Client:
    """One Twilio client per configuration (its HTTP session is reused between sends)."""
    sid = settings.twilio_account_sid or ""
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    key = (sid, token, settings.twilio_api_base, settings.twilio_timeout_s)
    if key not in _clients:
        timeout = settings.twilio_timeout_s
        http: TwilioHttpClient = (
            RebasedHttpClient(settings.twilio_api_base, timeout=timeout)
            if settings.twilio_api_base
            else TwilioHttpClient(timeout=timeout)
        )
        _clients[key] = Client(sid, token, http_client=http)
    return _clients[key]


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, TwilioRestException):
        return exc.status in RETRY_STATUSES
    return isinstance(exc, requests.exceptions.RequestException)


def _reason(exc: Exception) -> str:
    if isinstance(exc, TwilioRestException):
        return f"twilio {exc.status} code {exc.code}"
    return f"twilio unreachable: {type(exc).__name__}"


def send(message: MessageOut) -> str:
    """Send one SMS; return Twilio's message sid or raise DeliveryError."""
    settings = get_settings()
    client = twilio_client(settings)
    attempts = max(1, settings.sms_attempts)
    for attempt in range(1, attempts + 1):
        try:
            sent = client.messages.create(
                to=message.recipient,
                from_=settings.twilio_from_number,
                body=message.body,
                status_callback=settings.public_url.rstrip("/") + STATUS_PATH,
            )
            return str(sent.sid)
        except (TwilioRestException, requests.exceptions.RequestException) as exc:
            if not _retryable(exc):
                raise DeliveryError(_reason(exc), permanent=True) from None
            log.warning("sms %s attempt %s/%s: %s", message.id, attempt, attempts, _reason(exc))
            if attempt == attempts:
                raise DeliveryError(_reason(exc), permanent=False) from None
            time.sleep(settings.sms_backoff_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
