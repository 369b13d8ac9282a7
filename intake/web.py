"""The web channel: an accessible HTML form at ``/report`` and ``POST /reports`` (form or JSON).

Verify (CSRF for the form, size, rate), parse into one ``ReportIn``, store, answer; the
receipt and the team notice run after the answer. Whatever goes wrong, the form
comes back with what the reporter wrote, so a valid report is never lost.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from adapters import receipts
from intake import guards
from intake.webform import (
    KEY_PATTERN,
    TEXT_FIELDS,
    Problem,
    ReportReceipt,
    WebReportForm,
    WebReportIn,
    form_fields,
    from_form,
    to_report,
)
from intake.wording import Said, explain
from models.settings import Settings, get_settings
from models.validation import InvalidInput
from record import reports

log = logging.getLogger("care.intake.web")
router = APIRouter(tags=["reports"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
FORM = "application/x-www-form-urlencoded"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {
        "model": Problem,
        "description": f"{text} (the form gets its page back)",
        "content": HTML_PAGE,
    }
    for code, text in {
        400: "unreadable body",
        403: "form token missing, forged or expired",
        413: "request too large",
        415: "neither JSON nor form data",
        422: "a field is missing or invalid",
        429: "too many reports from this address",
        503: "the report could not be stored now; send it again",
    }.items()
}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": KEY_PATTERN},
}
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": WebReportIn.model_json_schema()},
        FORM: {"schema": WebReportForm.model_json_schema()},
    },
}


@router.get("/report", response_class=HTMLResponse, summary="The report form")
def report_form(request: Request) -> Response:
    return _form_page(request, values={}, errors=[], status=200)


@router.post(
    "/reports",
    status_code=201,
    summary="Send a report",
    description="JSON, or the HTML form's fields with its `csrf_token`. A repeated "
    "`Idempotency-Key` header (or `idempotency_key` field) with the same text stores nothing "
    "new and answers 200 with the same case code.",
    responses={
        201: {"model": ReportReceipt, "description": "stored (JSON)"},
        200: {
            "model": ReportReceipt,
            "description": "already stored (JSON), or the confirmation page (form)",
            "content": HTML_PAGE,
        },
        **ERRORS,
    },
    openapi_extra={"requestBody": REQUEST_BODY, "parameters": [IDEMPOTENCY_HEADER]},
)
async def post_report(request: Request, background: BackgroundTasks) -> Response:
    settings = get_settings()
    is_form = request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM
    fields: dict[str, str] = {}
    try:
        _limiter(request, settings).check(request)
        body = await guards.read_body(request, settings.intake_max_body_bytes)
        if is_form:
            fields = form_fields(body)
            cookie = request.cookies.get(guards.CSRF_COOKIE)
            guards.check_csrf(settings, fields.get("csrf_token"), cookie)
            web = from_form(fields)
        else:
            web = _json(request, body)
        report = to_report(web, _header_key(request))
        received = await run_in_threadpool(reports.receive, report)
    except guards.Refused as exc:
        return _refused(request, is_form, fields, exc.status, [Said(exc.message)])
    except (ValidationError, InvalidInput) as exc:
        return _refused(request, is_form, fields, 422, explain(exc))
    except Exception as exc:  # the database is down: the form comes back, nothing is lost
        log.error("web report could not be stored (%s)", type(exc).__name__)
        message = "We could not store your report just now. Please send it again in a minute."
        return _refused(request, is_form, fields, 503, [Said(message)])
    if received.created:  # a resend (double click) must not send a second receipt
        background.add_task(receipts.follow_up, received)
    receipt = ReportReceipt(
        case_code=received.code, duplicate=not received.created, acknowledgement=received.reachable
    )
    if is_form:
        page = templates.TemplateResponse(
            request, "received.html", {"receipt": receipt, "urgent": received.urgent}
        )
        return _private(page)
    return JSONResponse(receipt.model_dump(), status_code=201 if received.created else 200)


def _json(request: Request, body: bytes) -> WebReportIn:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise guards.Refused(415, f"Send the report as application/json or {FORM}.")
    return WebReportIn.model_validate_json(body)


def _header_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not re.fullmatch(KEY_PATTERN, key):
        raise InvalidInput("Idempotency-Key: 8-128 characters from A-Z, a-z, 0-9, '_.:-'")
    return key


def _reusable_key(key: str | None) -> str:
    """The form's own key again (a resend is the same report), or a new one."""
    return key if key and re.fullmatch(KEY_PATTERN, key) else uuid.uuid4().hex


def _limiter(request: Request, settings: Settings) -> guards.RateLimit:
    limiter = getattr(request.app.state, "report_rate_limit", None)
    if limiter is None:
        limiter = request.app.state.report_rate_limit = guards.RateLimit(settings.intake_rate_limit)
    return limiter


def _refused(
    request: Request, is_form: bool, fields: dict[str, str], status: int, errors: list[Said]
) -> Response:
    if status >= 500 or status in (413, 429):
        log.info("web report refused with %s", status)
    if not is_form:
        problem = {
            "detail": " ".join(e.text for e in errors),
            "errors": [{"field": e.field, "message": e.text} for e in errors],
        }
        return JSONResponse(problem, status_code=status)
    return _form_page(request, values=fields, errors=errors, status=status)


def _by_field(errors: list[Said]) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in errors:
        if error.field in TEXT_FIELDS:
            found.setdefault(error.field, error.text)
    return found


def _form_page(
    request: Request, *, values: dict[str, str], errors: list[Said], status: int
) -> Response:
    settings = get_settings()
    nonce, token = guards.csrf_pair(settings, request.cookies.get(guards.CSRF_COOKIE))
    context = {
        "values": values,
        "errors": errors,
        "form_ids": TEXT_FIELDS,
        # field -> its first problem: aria-invalid and aria-describedby tie them together
        "field_errors": _by_field(errors),
        "csrf_token": token,
        "idempotency_key": _reusable_key(values.get("idempotency_key")),
    }
    response = templates.TemplateResponse(request, "report.html", context, status_code=status)
    response.set_cookie(
        guards.CSRF_COOKIE,
        nonce,
        max_age=guards.CSRF_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=settings.public_url.startswith("https://"),
    )
    return _private(response)


def _private(response: Response) -> Response:
    """Pages about a report: never cached, never framed, no scripts, forms post here only."""
    response.headers.update(PAGE_HEADERS)
    return response
