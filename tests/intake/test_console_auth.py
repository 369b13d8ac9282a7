"""Signing in to the console: a handle and a one-time code, limited, and for a while only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models import db
from models.settings import get_settings
from models.tables import AuditEntry
from record import members
from tests.support.console import (
    Clock,
    code_now,
    console_app,
    csrf,
    next_code,
    sign_in,
    signed_in,
)
from tests.support.seed import Seeded, seed_report, seed_team


@pytest.fixture
def team(care_db: str) -> tuple[Seeded, str]:
    with db.session_scope() as session:
        seeded = seed_team(session)
        code = seed_report(session)
    return seeded, code


def _signins(handle: str) -> list[str]:
    with db.session_scope() as session:
        rows = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "console.signin", AuditEntry.actor == handle
            )
        )
        return [row.detail for row in rows]


def test_right_code_signs_in_with_a_safe_cookie(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    app, _ = console_app()
    client = TestClient(app)
    response = sign_in(client, "ben", code_now(seeded.totp["ben"]))
    assert response.status_code == 303 and response.headers["location"] == "/console/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("care_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # the embedded default runs on plain http://127.0.0.1
    page = client.get("/console/")
    assert page.status_code == 200 and "Waiting for ben" in page.text
    again = client.get("/console/sign-in", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/console/"
    assert _signins("ben") == ['{"result":"ok"}']


def test_cookie_is_secure_outside_the_embedded_default(
    team: tuple[Seeded, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded, _code = team
    monkeypatch.setenv("CARE_ENV", "production")
    get_settings.cache_clear()
    try:
        app, _ = console_app()
        client = TestClient(app, base_url="https://testserver")  # a Secure cookie needs https
        response = sign_in(client, "ben", code_now(seeded.totp["ben"]))
    finally:
        monkeypatch.delenv("CARE_ENV")
        get_settings.cache_clear()
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("care_console=") and "Secure" in c for c in cookies)


def test_wrong_code_is_refused(team: tuple[Seeded, str]) -> None:
    app, _ = console_app()
    client = TestClient(app)
    response = sign_in(client, "ben", "123456")
    assert response.status_code == 401
    assert "Check your handle and the 6-digit code" in response.text
    assert "care_console=" not in " ".join(response.headers.get_list("set-cookie"))
    assert client.get("/console/", follow_redirects=False).status_code == 303
    assert _signins("ben") == ['{"result":"bad_code"}']


def test_a_code_signs_in_once(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    app, _ = console_app()
    code = code_now(seeded.totp["ben"])
    assert sign_in(TestClient(app), "ben", code).status_code == 303
    again = sign_in(TestClient(app), "ben", code)
    assert again.status_code == 401 and "already used" in again.text


def test_unknown_and_inactive_members_get_the_same_answer(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    with db.session_scope() as session:
        members.deactivate(session, "eve")
    app, _ = console_app()
    unknown = sign_in(TestClient(app), "mallory", "123456")
    inactive = sign_in(TestClient(app), "eve", code_now(seeded.totp["eve"]))
    assert unknown.status_code == inactive.status_code == 401
    assert "care_console=" not in " ".join(inactive.headers.get_list("set-cookie"))


def test_attempts_are_limited_per_handle(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    app, _ = console_app()
    client = TestClient(app)
    for _ in range(5):
        assert sign_in(client, "ben", "000000").status_code == 401
    limited = sign_in(client, "ben", code_now(seeded.totp["ben"]))
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    # another member on the same device is not locked out by ben's limit
    assert sign_in(client, "chloe", code_now(seeded.totp["chloe"])).status_code == 303


def test_attempts_are_limited_per_client(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    app, _ = console_app()
    client = TestClient(app)
    for i in range(20):
        assert sign_in(client, f"guess{i}", "000000").status_code == 401
    assert sign_in(client, "ben", code_now(seeded.totp["ben"])).status_code == 429


def test_sign_in_form_needs_its_own_nonce(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    app, _ = console_app()
    forged = TestClient(app).post(
        "/console/sign-in",
        data={"handle": "ben", "code": code_now(seeded.totp["ben"]), "nonce": "x"},
        follow_redirects=False,
    )
    assert forged.status_code == 400 and "expired" in forged.text


def test_sign_in_returns_to_the_page_asked_for_and_nowhere_else(
    team: tuple[Seeded, str],
) -> None:
    seeded, code = team
    app, _ = console_app()
    client = TestClient(app)
    first = client.get(f"/console/incidents/{code}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == f"/console/sign-in?next=/console/incidents/{code}"
    landed = sign_in(client, "ben", code_now(seeded.totp["ben"]), f"/console/incidents/{code}")
    assert landed.headers["location"] == f"/console/incidents/{code}"
    evil = sign_in(TestClient(app), "chloe", code_now(seeded.totp["chloe"]), "//evil.example/")
    assert evil.headers["location"] == "/console/"


def test_sign_out_ends_the_session_for_a_copied_cookie(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    app, _ = console_app()
    client = signed_in(app, "ben", seeded.totp["ben"])
    copied = dict(client.cookies)
    out = client.post("/console/sign-out", data={"csrf": csrf(client)}, follow_redirects=False)
    assert out.status_code == 303 and "signed-out" in out.headers["location"]
    thief = TestClient(app, cookies=copied)
    assert (
        thief.get("/console/", follow_redirects=False)
        .headers["location"]
        .startswith("/console/sign-in")
    )


def test_sign_out_needs_the_form_token(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    app, _ = console_app()
    client = signed_in(app, "ben", seeded.totp["ben"])
    assert client.post("/console/sign-out", data={"csrf": "forged"}).status_code == 403
    assert client.get("/console/").status_code == 200


def test_an_idle_session_expires(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    clock = Clock()
    app, _ = console_app(clock)
    client = signed_in(app, "ben", seeded.totp["ben"])
    clock.advance(minutes=119)
    assert client.get("/console/").status_code == 200
    clock.advance(minutes=121)
    answer = client.get("/console/", follow_redirects=False)
    assert answer.status_code == 303 and "why=expired" in answer.headers["location"]


def test_a_busy_session_still_ends_after_twelve_hours(team: tuple[Seeded, str]) -> None:
    seeded, _code = team
    clock = Clock()
    app, _ = console_app(clock)
    client = signed_in(app, "ben", seeded.totp["ben"])
    for _ in range(11):
        clock.advance(minutes=60)
        assert client.get("/console/").status_code == 200
    clock.advance(minutes=60)
    answer = client.get("/console/", follow_redirects=False)
    assert answer.status_code == 303 and "why=expired" in answer.headers["location"]


def test_a_tampered_cookie_is_not_a_session(team: tuple[Seeded, str]) -> None:
    app, _ = console_app()
    client = TestClient(app, cookies={"care_console": "eyJhIjoxfQ.forged.sig"})
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_a_member_deactivated_mid_session_loses_access_at_once(
    team: tuple[Seeded, str],
) -> None:
    seeded, code = team
    app, _ = console_app()
    client = signed_in(app, "ben", seeded.totp["ben"])
    assert client.get(f"/console/incidents/{code}").status_code == 200
    with db.session_scope() as session:
        members.deactivate(session, "ben")
    gone = client.get(f"/console/incidents/{code}", follow_redirects=False)
    assert gone.status_code == 303 and "why=inactive" in gone.headers["location"]
    refused = sign_in(TestClient(app), "ben", next_code(seeded.totp["ben"]))
    assert refused.status_code == 401
