"""CARE's intake service: one FastAPI app, one router per channel."""

from __future__ import annotations

from fastapi import FastAPI

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

    # Each channel adapter adds its router here.
    app.include_router(slack_router)
    app.include_router(web.router)
    app.include_router(console.router)
    app.include_router(twilio_router)
    return app
