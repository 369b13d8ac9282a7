"""Timers survive a restart: kill -9 the process mid-escalation, start it again.

The escalation carries on from where it was: no round skipped, no SMS sent twice, and the
rounds still fire on the timetable computed from the moment the incident became urgent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from models import db
from models.settings import get_settings
from record.incidents import get_incident
from record.urgent_pages import acknowledge
from tests.support.escalation import HANDLES, pages, urgent_incident, wait_for
from tests.support.fake_twilio import FakeTwilio, fake_twilio, use_fake_twilio

ROOT = Path(__file__).resolve().parents[2]
STEPS = [
    {"target": "primary", "wait_s": 2},
    {"target": "secondary", "wait_s": 6},  # time for the new process to start
    {"target": "all", "wait_s": 2, "repeat_every_s": 2},
]


@pytest.fixture
def fake(care_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    with fake_twilio() as running:
        use_fake_twilio(monkeypatch, running)
        yield running
    get_settings.cache_clear()


def runner() -> subprocess.Popen[str]:
    """A process with the flow loaded, waiting for a case code on stdin."""
    env = dict(os.environ)  # the test's CARE database, key and fake Twilio
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.run_escalation"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def go(proc: subprocess.Popen[str], code: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(code + "\n")
    proc.stdin.flush()


@pytest.mark.usefixtures("prefect_server")
def test_a_killed_escalation_carries_on_without_skipping_or_repeating(fake: FakeTwilio) -> None:
    first, second = runner(), runner()
    try:
        urgent = urgent_incident(STEPS)
        go(first, urgent.code)
        wait_for(lambda: [p[3] for p in pages(urgent.code)] == ["sent", "sent"], what="round 1")
        os.kill(first.pid, signal.SIGKILL)  # mid-escalation, waiting for round 2
        first.wait(timeout=10)
        go(second, urgent.code)
        wait_for(lambda: len(fake.delivered()) >= 12, what="rounds 2 and 3", timeout=30)
        with db.session_scope() as session:
            incident = get_incident(session, urgent.code)
            acknowledge(session, incident, handle="dev", channel="console")
        out, _err = second.communicate(timeout=30)
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    assert "result acknowledged" in out
    sent = fake.delivered()
    assert len(sent) == len(fake.requests) == 12  # nothing repeated, nothing failed
    assert Counter(HANDLES[r.to] for r in sent) == {
        "ana": 3,  # rounds 0, 2, 3
        "ben": 3,  # rounds 1, 2, 3
        "chloe": 2,
        "dev": 2,
        "eve": 2,
    }
    dues = [2] + [8] * 5 + [10] * 5  # round 0's latency is the benchmark's business
    for request, due in zip(sent[1:], dues, strict=True):
        # two Prefect processes on a shared machine: the 1 s budget is test_escalation.py's
        assert -0.05 <= request.wall - (urgent.urgent_at + due) < 1.5, (HANDLES[request.to], due)
    rounds = Counter(round_ for round_, _handle, channel, _status in pages(urgent.code))
    assert rounds == {0: 1, 1: 1, 2: 5, 3: 5}
