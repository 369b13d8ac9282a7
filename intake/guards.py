"""What stands between the public internet and the record: CSRF, body size, rate limits.

The form's CSRF token is a double-submit pair: a random value in a SameSite=Strict cookie
and the same value, signed with itsdangerous and timed, in a hidden field. A forged or
expired token is refused without losing what the reporter wrote (the form comes back).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from models.settings import Settings

CSRF_COOKIE = "care_csrf"
CSRF_MAX_AGE_S = 24 * 3600  # a reporter may take their time


class Refused(Exception):
    """A request refused with a status and a message meant for the person who sent it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    key = settings.keys()[0].encode()
    secret = hmac.new(key, b"care intake csrf", hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(secret, salt="care-report-form")


def csrf_pair(settings: Settings, cookie: str | None) -> tuple[str, str]:
    """(cookie value, signed field value); keeps a well-formed existing cookie."""
    nonce = cookie if cookie and 16 <= len(cookie) <= 64 and cookie.isascii() else None
    nonce = nonce or secrets.token_urlsafe(24)
    return nonce, str(_serializer(settings).dumps(nonce))


def check_csrf(settings: Settings, token: str | None, cookie: str | None) -> None:
    if not cookie:
        raise Refused(
            403,
            "This form needs a cookie that protects you from forged submissions. "
            "Please allow cookies for this site and send the form again.",
        )
    try:
        nonce = _serializer(settings).loads(token or "", max_age=CSRF_MAX_AGE_S)
    except BadData:
        nonce = None
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, cookie):
        raise Refused(403, "The form had expired or was not ours. Please send it again.")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it is larger than ``limit`` bytes."""
    too_large = Refused(
        413,
        f"The request is larger than {limit // 1024} KiB. Please shorten the report, "
        "or send long texts and files by e-mail.",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


class RateLimit:
    """Requests per client address, in a moving window (the `limits` package)."""

    def __init__(self, rule: str) -> None:
        self.item = parse(rule)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        if not self.limiter.hit(self.item, "reports", client):
            raise Refused(429, "Too many reports from your address just now. Please wait a minute.")
