"""How fast the console answers for a busy record (SQLite, in process, TestClient).

A record with 3 reports, 40 notes, 10 decisions and a few hundred audit entries; each
page is fetched 30 times. Baseline: /healthz in the same process. JSON on the last line.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from cryptography.fernet import Fernet

ROUNDS = 30


def _setup(tmp: Path) -> tuple[str, str]:
    os.environ.update(
        CARE_DATA_DIR=str(tmp),
        CARE_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        CARE_DATABASE_URL=f"sqlite:///{tmp / 'care.db'}",
    )
    from models import db, migrate
    from models.schemas import ReportIn
    from policy.signoff import DecisionKind
    from record import members
    from record.decisions import propose
    from record.events import add_event
    from record.incidents import add_note, store_report

    db.configure()
    migrate.upgrade()
    with db.session_scope() as s:
        add_event(
            s,
            slug_="dce26",
            name="DCE",
            code_prefix="DCE26",
            starts_on=date(2026, 4, 20),
            ends_on=date(2026, 4, 24),
            timezone_="Europe/Dublin",
        )
        secret = ""
        for handle in ("ana", "ben", "chloe", "dev"):
            members.add_member(s, handle_=handle, display_name=handle.title())
            secret = members.enroll(s, handle)[0] if handle == "ben" else secret
        incident = None
        for i in range(3):
            incident, _r, _c = store_report(
                s,
                ReportIn(
                    channel="web",
                    channel_message_id=f"m{i}",
                    narrative="word " * 200,
                    event_slug="dce26",
                    incident_code=incident.code if incident else None,
                ),
            )
        assert incident is not None
        for i in range(40):
            add_note(s, incident, author="ana", body=f"note {i} " + "text " * 40)
        for i in range(10):
            propose(
                s,
                kind=DecisionKind.other,
                summary=f"decision {i}",
                proposer="ana",
                incident=incident,
            )
        return incident.code, secret


def _median_ms(fetch: object) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fetch()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fastapi.testclient import TestClient

    from intake.app import create_app
    from models import totp

    with tempfile.TemporaryDirectory() as tmp:
        code, secret = _setup(Path(tmp))
        client = TestClient(create_app())
        nonce = client.get("/console/sign-in").text.split('name="nonce" value="')[1][:22]
        client.post(
            "/console/sign-in",
            data={"handle": "ben", "code": totp.current_code(secret), "nonce": nonce},
        )
        record = client.get(f"/console/incidents/{code}")
        assert record.status_code == 200
        figures = {
            "healthz_ms": _median_ms(lambda: client.get("/healthz")),
            "record_ms": _median_ms(lambda: client.get(f"/console/incidents/{code}")),
            "waiting_ms": _median_ms(lambda: client.get("/console/")),
            "record_kib": round(len(record.content) / 1024, 1),
        }
    figures["record_vs_healthz"] = round(figures["record_ms"] / figures["healthz_ms"], 1)
    figures = {k: round(v, 2) for k, v in figures.items()}
    for key, value in figures.items():
        print(f"{key:>18}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
