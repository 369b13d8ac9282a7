"""The escalation's waiting task: it sees an acknowledgement within a fraction of a second."""

from __future__ import annotations

import threading
import time

from models import db
from record.acts.acknowledge import take_urgent_case
from tasks.escalation import await_round
from tests.support.escalation import urgent_incident


def test_waiting_stops_within_a_poll_of_an_acknowledgement(care_db: str) -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 60}])
    out: dict[str, object] = {}

    def wait() -> None:
        out["outcome"] = await_round.fn(urgent.code, 1, time.time() + 30, None).outcome
        out["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive()
    with db.session_scope() as session:
        take_urgent_case(
            session,
            incident_code=urgent.code,
            handle="eve",
            channel="slack",
        )
    acked = time.monotonic()
    waiter.join(timeout=5)
    assert out["outcome"] == "acknowledged"
    assert float(out["at"]) - acked < 0.5  # type: ignore[arg-type]


def test_waiting_ends_on_the_deadline(care_db: str) -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 60}])
    deadline = time.time() + 0.7
    start = await_round.fn(urgent.code, 1, deadline, None)
    assert 0 <= time.time() - deadline < 0.25  # one look at the record after it
    assert start.outcome == "due" and start.team is not None
    assert start.team.members["ana"].tier == "primary"
    assert start.team.members["ben"].tier == "secondary"
