"""Sign-in with handle and TOTP code, sign-out, and the console's stylesheet."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from intake.console import auth
from intake.console.config import ConsoleConfig, console_config
from intake.console.render import HERE, ConsoleRoute, page
from models import db
from record.console_sessions import end_session, live_session, sign_in

router = APIRouter(route_class=ConsoleRoute)
NOTICES = {
    "expired": "Your session has ended. Please sign in again.",
    "inactive": "Your access to the CARE console has been removed.",
    "signed-out": "You are signed out.",
}
REFUSALS = {
    "refused": "That did not work. Check your handle and the 6-digit code in your "
    "authenticator app, then try again.",
    "code_reused": "That code was already used. Wait for the next code in your "
    "authenticator app (at most 30 seconds) and try again.",
    "limited": "Too many attempts. Wait five minutes, then try again.",
    "expired_form": "This sign-in form had expired. Please try again.",
}
CSS = (HERE / "static" / "console.css").read_text()


def _form(
    request: Request,
    *,
    next_: str,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    handle: str = "",
) -> Response:
    nonce = auth.new_signin_nonce()
    context = {"next": next_, "notice": notice, "error": error, "handle": handle, "nonce": nonce}
    response = page(request, "sign_in.html", context, status=status)
    auth.set_signin_cookie(response, nonce)
    return response


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(
    request: Request,
    next: str = "",
    why: str = "",
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    token = auth.session_token(request, config)
    if token is not None:
        with db.session_scope() as session:
            signed_in = live_session(session, token, now=config.clock(), idle=config.idle)
        if signed_in is not None:
            return RedirectResponse(auth.safe_next(next), status_code=303)
    return _form(request, next_=auth.safe_next(next), notice=NOTICES.get(why))


@router.post("/sign-in", include_in_schema=False)
def sign_in_submit(
    request: Request,
    handle: str = Form(""),
    code: str = Form(""),
    nonce: str = Form(""),
    next: str = Form(""),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    target = auth.safe_next(next)
    refusal: str | None = None
    token: str | None = None
    if not auth.signin_nonce_ok(request, nonce):
        refusal = "expired_form"
    elif not config.allow(handle=handle, client=request.client.host if request.client else "-"):
        refusal = "limited"
    else:
        with db.session_scope() as session:
            result = sign_in(
                session, handle=handle, code=code, now=config.clock(), lifetime=config.lifetime
            )
        refusal, token = result.refusal, result.token
    if token is None:
        status = {"limited": 429, "expired_form": 400}.get(refusal or "", 401)
        error = REFUSALS[refusal or "refused"]
        return _form(request, next_=target, error=error, status=status, handle=handle[:64])
    response = RedirectResponse(target, status_code=303)
    auth.set_session_cookie(response, token, config)
    response.delete_cookie(auth.PRE_COOKIE, path=auth.PATH)
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out(
    request: Request, csrf: str = Form(""), config: ConsoleConfig = Depends(console_config)
) -> Response:
    token = auth.session_token(request, config)
    if token is not None:
        auth.check_csrf(auth.Viewer(0, "", auth.csrf_token(token)), csrf)
        now = config.clock()
        with db.session_scope() as session:
            row = live_session(session, token, now=now, idle=config.idle)
            if row is not None:
                end_session(session, row, now=now, why="signed-out")
    response = RedirectResponse(f"{auth.PATH}/sign-in?why=signed-out", status_code=303)
    auth.clear_cookies(response)
    return response


@router.get("/console.css", include_in_schema=False)
def stylesheet() -> Response:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})
