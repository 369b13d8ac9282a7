"""`care status`'s checks read what is wrong from the record: no host looping, nobody
keeping the timetable, a page past its deadline, messages not going out, an old schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from adapters.health import Check, checks, healthy
from models import db
from models.db import utcnow
from models.settings import get_settings
from record import outbox
from record.health import host_alive
from record.leases import hold_lease
from record.timetable import TIMETABLE_LEASE
from tests.support.escalation import urgent_incident
from tests.support.prefect_server import free_port


@pytest.fixture(autouse=True)
def no_prefect(care_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARE_PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    monkeypatch.delenv("CARE_PREFECT_API_AUTH_STRING", raising=False)
    get_settings.cache_clear()


def by_part(found: list[Check]) -> dict[str, str]:
    return {check.part: check.status for check in found}


def test_a_record_with_no_host_and_no_prefect_is_unhealthy() -> None:
    found = checks(timeout_s=1)
    assert by_part(found) == {
        "record": "ok",
        "host": "fail",
        "time-keeper": "fail",
        "deadlines": "ok",
        "outbox": "ok",
        "prefect": "fail",
    }
    assert not healthy(found)


def test_a_looping_host_and_a_time_keeper_are_seen_until_they_go_silent() -> None:
    now = utcnow()
    with db.session_scope() as session:
        host_alive(session, holder="care-1:4242", now=now)
        hold_lease(
            session, name=TIMETABLE_LEASE, holder="care-1:4243", ttl=timedelta(seconds=3), now=now
        )
    found = {check.part: check for check in checks(now=now + timedelta(seconds=2), timeout_s=1)}
    assert found["host"].status == "ok" and "care-1:4242" in found["host"].detail
    assert found["time-keeper"].status == "ok" and "care-1:4243" in found["time-keeper"].detail
    later = by_part(checks(now=now + timedelta(seconds=40), timeout_s=1))
    assert later["host"] == "fail" and later["time-keeper"] == "fail"


def test_a_round_past_its_deadline_and_a_message_not_sent_are_failures() -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 600}])  # nobody pages it
    with db.session_scope() as session:
        outbox.queue(
            session,
            channel="email",
            purpose="acknowledgement",
            recipient="someone@example.org",
            body="Thank you for your report.",
            idempotency_key="health-test-1",
        )
    at_once = by_part(checks(timeout_s=1))
    assert at_once["deadlines"] == "ok" and at_once["outbox"] == "ok"  # not late yet
    found = {c.part: c for c in checks(now=utcnow() + timedelta(minutes=2), timeout_s=1)}
    assert found["deadlines"].status == "fail" and "1 rounds" in found["deadlines"].detail
    assert found["outbox"].status == "fail" and found["outbox"].detail.startswith("1 messages")
    assert urgent.code not in " ".join(check.detail for check in found.values())  # no case


def test_a_schema_behind_the_code_says_to_run_care_init() -> None:
    with db.session_scope() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'a11c0de00001'"))
    found = {check.part: check for check in checks(timeout_s=1)}
    assert found["record"].status == "fail" and "care init" in found["record"].detail


def test_the_intake_shows_the_details_to_this_machine_only() -> None:
    from fastapi.testclient import TestClient

    from intake.app import create_app

    with TestClient(create_app(), client=("127.0.0.1", 50000)) as local:
        answer = local.get("/healthz/details")
    assert answer.status_code == 503  # no host, no Prefect
    parts = {check["part"]: check["status"] for check in answer.json()["checks"]}
    assert parts["record"] == "ok" and parts["host"] == "fail"
    with TestClient(create_app(), client=("203.0.113.9", 50000)) as outside:
        assert outside.get("/healthz/details").status_code == 403
        assert outside.get("/healthz").status_code == 200
