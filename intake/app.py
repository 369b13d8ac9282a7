"""CARE's intake service: one FastAPI app, one router per channel."""

from __future__ import annotations

import ipaddress

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from adapters.health import as_json, checks, healthy
from intake import console, web
from intake.slack import router as slack_router
from intake.twilio import router as twilio_router
from models import db
from models.settings import point_prefect_at_care


def create_app() -> FastAPI:
    app = FastAPI(
        title="CARE intake",
        description="Reports to a conference's Code of Conduct team, from every channel.",
        version="0.1.0",
    )
    db.configure()
    point_prefect_at_care()  # a console approval wakes the run in CARE's Prefect server

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/healthz/details", include_in_schema=False)
    def healthz_details(request: Request) -> JSONResponse:
        """`care status` as JSON (503 when a part fails), for a monitor on this machine
        only: how busy paging is right now tells an outsider that a case is under way."""
        if not _from_this_machine(request):
            return JSONResponse({"detail": "only from this machine"}, status_code=403)
        found = checks()
        return JSONResponse(as_json(found), status_code=200 if healthy(found) else 503)

    # Each channel adapter adds its router here.
    app.include_router(slack_router)
    app.include_router(web.router)
    app.include_router(console.router)
    app.include_router(twilio_router)
    return app


def _from_this_machine(request: Request) -> bool:
    """A loopback client (behind a trusted proxy: the reporter's forwarded address)."""
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:  # not an address (e.g. a test client's name)
        return False
