"""Helpers for the console's tests: an app with its own clock, signing in, form tokens."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intake.app import create_app
from intake.console.config import ConsoleConfig
from models import totp
from models.db import utcnow

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


@dataclass
class Clock:
    """A clock the console reads; tests move it forward instead of sleeping."""

    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def console_app(clock: Clock | None = None) -> tuple[FastAPI, ConsoleConfig]:
    app = create_app()
    config = ConsoleConfig(clock=clock or Clock())
    app.state.console = config
    return app, config


def code_now(secret: str) -> str:
    return totp.current_code(secret)


def next_code(secret: str) -> str:
    """A code of the next time step: still valid, and not the one used to sign in."""
    return totp.current_code(secret, at=time.time() + totp.INTERVAL)


def sign_in_form(client: TestClient, next_: str = "") -> str:
    page = client.get("/console/sign-in", params={"next": next_} if next_ else None)
    assert page.status_code == 200
    found = NONCE.search(page.text)
    assert found
    return found.group(1)


def sign_in(client: TestClient, handle: str, code: str, next_: str = "") -> httpx.Response:
    """Post the sign-in form as a browser would; return the response (not followed)."""
    nonce = sign_in_form(client, next_)
    return client.post(
        "/console/sign-in",
        data={"handle": handle, "code": code, "nonce": nonce, "next": next_},
        follow_redirects=False,
    )


def signed_in(app: FastAPI, handle: str, secret: str) -> TestClient:
    client = TestClient(app)
    response = sign_in(client, handle, code_now(secret))
    assert response.status_code == 303, response.text
    return client


def csrf(client: TestClient, path: str = "/console/") -> str:
    found = CSRF.search(client.get(path).text)
    assert found
    return found.group(1)
