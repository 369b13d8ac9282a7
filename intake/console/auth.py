"""Who is asking: the signed session cookie, CSRF tokens, and the check on every request.

The cookie holds a random token signed with a key derived from CARE's encryption key
(itsdangerous). The token's session lives in CARE's database, so signing out ends it
everywhere, and every request checks that the member is still active.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from intake.console.config import ConsoleConfig, console_config
from models import db
from models.settings import get_settings
from models.tables import Member
from record.console_sessions import end_member_sessions, end_session, live_session

COOKIE = "care_console"
PRE_COOKIE = "care_console_signin"
PATH = "/console"


class ConsoleError(Exception):
    """A request the console answers with a page that says what went wrong."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status, self.title, self.message = status, title, message


class SignInRequired(Exception):
    """No live session: send the member to the sign-in page."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass(frozen=True)
class Viewer:
    """The signed-in member making this request."""

    member_id: int
    handle: str
    csrf: str


def _secret() -> bytes:
    key = get_settings().keys()[0].encode()
    return hmac.new(key, b"care-console-cookie", hashlib.sha256).digest()


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(), salt=salt)


def csrf_token(token: str) -> str:
    return hmac.new(_secret(), b"csrf\x00" + token.encode(), hashlib.sha256).hexdigest()


def _cookie_args(max_age: int) -> dict[str, object]:
    return {
        "max_age": max_age,
        "path": PATH,
        "httponly": True,
        "secure": not get_settings().embedded,
        "samesite": "lax",
    }


def set_session_cookie(response: Response, token: str, config: ConsoleConfig) -> None:
    value = _serializer("session").dumps(token)
    response.set_cookie(COOKIE, value, **_cookie_args(int(config.lifetime.total_seconds())))  # type: ignore[arg-type]


def clear_cookies(response: Response) -> None:
    for name in (COOKIE, PRE_COOKIE):
        response.delete_cookie(name, path=PATH, httponly=True, samesite="lax")


def session_token(request: Request, config: ConsoleConfig) -> str | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        max_age = int(config.lifetime.total_seconds())
        return str(_serializer("session").loads(raw, max_age=max_age))
    except BadSignature:
        return None


def new_signin_nonce() -> str:
    return secrets.token_urlsafe(16)


def set_signin_cookie(response: Response, nonce: str) -> None:
    """The sign-in form's nonce, also in a signed cookie: a forged form has not got it."""
    response.set_cookie(PRE_COOKIE, _serializer("signin").dumps(nonce), **_cookie_args(3600))  # type: ignore[arg-type]


def signin_nonce_ok(request: Request, submitted: str) -> bool:
    raw = request.cookies.get(PRE_COOKIE)
    if not raw or not submitted:
        return False
    try:
        nonce = str(_serializer("signin").loads(raw, max_age=3600))
    except BadSignature:
        return False
    return hmac.compare_digest(nonce, submitted)


def safe_next(target: str | None) -> str:
    """Only a path inside the console may follow sign-in."""
    if target and target.startswith(PATH) and not target.startswith("//") and "\\" not in target:
        return target
    return PATH + "/"


def _sign_in_url(request: Request, why: str | None = None) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"{PATH}/sign-in?next={quote(here if request.method == 'GET' else PATH + '/')}"
    return url + (f"&why={why}" if why else "")


def viewer(request: Request, config: ConsoleConfig = Depends(console_config)) -> Viewer:
    """The signed-in, still active member; otherwise off to the sign-in page."""
    token = session_token(request, config)
    if token is None:
        raise SignInRequired(_sign_in_url(request))
    now = config.clock()
    why: str | None = None
    with db.session_scope() as session:
        row = live_session(session, token, now=now, idle=config.idle)
        member = session.get(Member, row.member_id) if row else None
        if row is None or member is None:
            why = "expired"
        elif not member.active:
            end_session(session, row, now=now, why="inactive")
            end_member_sessions(session, member.id, now=now)
            why = "inactive"
        else:
            return Viewer(member_id=member.id, handle=member.handle, csrf=csrf_token(token))
    raise SignInRequired(_sign_in_url(request, why))


def check_csrf(who: Viewer, submitted: str) -> None:
    if not hmac.compare_digest(who.csrf, submitted or ""):
        raise ConsoleError(
            403,
            "This form is out of date",
            "Go back, reload the page and try again.",
        )
