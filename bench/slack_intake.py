"""How fast Slack intake answers, against storing the same report directly.

A live uvicorn on 127.0.0.1 serves CARE's intake app (SQLite, the embedded default); a
fake Slack Web API takes the team notices. Each signed report-form submission is sent
twice (as a retry would be): the answer time is what Slack waits for (it gives up at
3 s). The baseline is ``record.reports.receive`` called directly in the same process.
Prints figures, then one JSON line.
"""

from __future__ import annotations

import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn
from sqlalchemy import func, select

from adapters import notices
from intake.app import create_app
from models import db
from models.schemas import ReportIn
from models.tables import Report
from record.reports import receive
from tests.support import slack_requests as sr
from tests.support.care_db import fresh_sqlite, use_care
from tests.support.fake_slack import running_fake_slack, slack_configured
from tests.support.seed import seed_team

N = 100
SLACK_LIMIT_MS = 3000


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def baseline() -> list[float]:
    times = []
    for i in range(N):
        report = ReportIn(
            channel="slack",
            channel_message_id=f"baseline-{i}",
            narrative="Someone kept interrupting me in the hallway",
            reporter_contact="UREPORTER",
            contact_kind="slack",
        )
        start = time.perf_counter()
        receive(report)
        times.append(_ms(start))
    return times


def serve() -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def post(client: httpx.Client, path: str, payload: dict, age_s: float = 0) -> float:
    body = sr.interaction_body(payload)
    headers = sr.signed(body, content_type=sr.FORM, age_s=age_s)
    start = time.perf_counter()
    reply = client.post(path, content=body, headers=headers)
    elapsed = _ms(start)
    assert reply.status_code == 200, reply.status_code
    return elapsed


def through_slack(base: str) -> tuple[list[float], list[float], list[float]]:
    first, retry, clicks = [], [], []
    with httpx.Client(base_url=base, timeout=10) as client:
        for i in range(N):
            payload = sr.submission(user="UREPORTER", view_id=f"VBENCH{i}")
            first.append(post(client, "/slack/interactivity", payload))
            # a retry is signed anew (the same signed bytes again are a replay: 409)
            retry.append(post(client, "/slack/interactivity", payload, age_s=-1))
        for i in range(N):
            click = sr.click(notices.CONFLICT, "DCE26-1", user="UBEN")
            click["trigger_id"] = f"T-bench-{i}"  # each click is its own request
            clicks.append(post(client, "/slack/interactivity", click))
    return first, retry, clicks


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        use_care(Path(tmp), fresh_sqlite(Path(tmp)))
        with db.session_scope() as session:
            seed_team(session)
        base_times = baseline()
        with running_fake_slack() as fake, slack_configured(fake):
            server, thread, base = serve()
            try:
                first, retry, clicks = through_slack(base)
            finally:
                server.should_exit = True
                thread.join(timeout=10)
            posted = [c.args["text"] for c in fake.of("chat.postMessage")]
        with db.session_scope() as session:
            stored = session.scalar(
                select(func.count()).select_from(Report).where(Report.channel == "slack")
            )
        db.engine().dispose()
    everything = first + retry + clicks
    figures = {
        "channel": "slack",
        "reports": N,
        "deliveries": 2 * N,
        "stored": int(stored or 0) - N,  # minus the baseline's own reports
        "team_notices": len(posted),
        "duplicate_notices": len(posted) - len(set(posted)),
        "baseline_store_median_ms": round(statistics.median(base_times), 2),
        "answer_median_ms": round(statistics.median(first), 2),
        "answer_p95_ms": round(_p95(first), 2),
        "retry_answer_median_ms": round(statistics.median(retry), 2),
        "click_answer_median_ms": round(statistics.median(clicks), 2),
        "answer_max_ms": round(max(everything), 2),
        "ratio_answer_to_store": round(statistics.median(first) / statistics.median(base_times), 2),
        "within_slack_3s": max(everything) < SLACK_LIMIT_MS,
    }
    for key, value in figures.items():
        print(f"{key:>28}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
