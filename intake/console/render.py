"""Pages: Jinja2 templates, local times, safe headers and readable error pages."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from intake.console.auth import ConsoleError, SignInRequired
from policy.signoff import DecisionStatus

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def local_time(value: datetime | None, tz: str = "UTC") -> str:
    """A time as a volunteer reads it: in the event's time zone, with its abbreviation."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M %Z")


def audit_detail(detail: str) -> str:
    try:
        items = json.loads(detail).items()
    except (ValueError, AttributeError):
        return detail
    return ", ".join(f"{k} {v}" for k, v in items if v is not None)


templates.env.filters["local"] = local_time
templates.env.filters["detail"] = audit_detail
templates.env.globals["DecisionStatus"] = DecisionStatus


def page(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status)


class ConsoleRoute(APIRoute):
    """Every console answer gets safe headers; errors become readable pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired as exc:
                response = RedirectResponse(exc.location, status_code=303)
            except ConsoleError as exc:
                context = {"title": exc.title, "message": exc.message}
                response = page(request, "message.html", context, status=exc.status)
            for key, value in HEADERS.items():
                response.headers.setdefault(key, value)
            return response

        return route
