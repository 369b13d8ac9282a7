"""How fast an urgent report pages someone, and how exactly the escalation keeps its timers.

Real parts: CARE's Prefect server (temporary, SQLite), CARE on SQLite, the real twilio
client against the fake Messages API on 127.0.0.1. Measures:

- first SMS: urgent report received (``record.reports.receive`` called) -> the first SMS
  request arriving at the fake Twilio API; 30 reports one at a time, then 20 at once.
  The host sends the first round itself and then creates the escalation run, so beside
  it: report received -> that run running (Prefect's start time);
- step timing error: when each later round's SMS arrived minus its deadline
  (``urgent_at`` + the policy's offset), steps of 2-3 s, five escalations at once,
  started directly; deadlines that passed before a run was up are left out (the flow's
  own timers, not the start-up delay, which the first-SMS figures measure);
- baseline: the bare twilio ``messages.create`` call against the same fake.

The CARE host (``deployments.host``) starts the runs, as in production: it polls the
record every 0.1 s and runs each flow run in a thread (the intake does not poke it here).

``--topology workers``: the production topology instead (``tests.support.production``:
CARE and Prefect on PostgreSQL, two Prefect process workers, ``care host --dispatch
urgent``, each its own process). 5 urgent reports one at a time, then 20 at once, on a
policy of rounds 10 s apart: report -> first SMS, report -> escalation run running, and
how late each later round's first SMS was against its deadline; the most connections
CARE's database had meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


from models import db
from models.schemas import ReportIn
from record.acts.acknowledge import take_urgent_case
from record.events import get_event
from record.incidents import get_incident
from tests.support.care_db import fresh_sqlite, use_care
from tests.support.escalation import urgent_incident, warm_prefect
from tests.support.fake_twilio import FROM, FakeTwilio, fake_twilio
from tests.support.host import read_run, running_host

SEQUENTIAL, CONCURRENT = 30, 20
FAST_STEPS = [
    {"target": "primary", "wait_s": 3},
    {"target": "secondary", "wait_s": 2},
    {"target": "all", "wait_s": 2, "repeat_every_s": 2},
]
DUES = [0, 3, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7]  # rounds 0-3: ana; ben; everyone; everyone


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(number: int) -> ReportIn:
    return ReportIn(
        channel="web",
        channel_message_id=f"bench-{number}-{time.time_ns()}",
        narrative="bench report",
        urgent=True,
        anonymous=True,
        event_slug="dce26",
    )


def first_sms_at(fake: FakeTwilio, code: str) -> float | None:
    for request in list(fake.requests):
        if f"case {code}." in request.body and request.status == 201:
            return request.wall
    return None


def rounds_sent(fake: FakeTwilio, code: str, count: int) -> bool | None:
    return len([r for r in fake.delivered() if f"case {code}." in r.body]) >= count or None


def wait_until(check: Callable[[], Any], timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while (value := check()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("no SMS in time")
        time.sleep(0.005)
    return value


def ack_all(codes: list[str]) -> None:
    with db.session_scope() as session:
        for code in codes:
            take_urgent_case(
                session,
                incident_code=code,
                handle="ana",
                channel="console",
            )


def urgent_at(code: str) -> float:
    with db.session_scope() as session:
        at = get_incident(session, code).urgent_at
    assert at is not None
    return at.timestamp()


def run_started_at(code: str) -> float | None:
    """When the escalation run of an incident started running (Prefect's start time)."""
    with db.session_scope() as session:
        run_id = get_incident(session, code).escalation_flow_run_id
    started = read_run(run_id).start_time if run_id else None
    return started.timestamp() if started else None


def first_sms(fake: FakeTwilio, batch: int, *, ack: bool = True) -> Any:
    """For ``batch`` reports at once: report received -> first SMS, and -> the escalation
    run running (the host sends the first round itself, then creates the run). With
    ``ack=False`` nobody takes the cases, and their codes come third."""
    from record.reports import receive

    received: dict[str, float] = {}
    lock = threading.Lock()

    def one(number: int) -> None:
        started = time.time()
        code = receive(report(number)).code
        with lock:
            received[code] = started

    workers = [threading.Thread(target=one, args=(n,)) for n in range(batch)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    arrived = {code: wait_until(partial(first_sms_at, fake, code)) for code in received}
    if ack:
        ack_all(list(received))
    running = {code: wait_until(partial(run_started_at, code)) for code in received}
    latencies = [arrived[code] - started for code, started in received.items()]
    runs = [running[code] - started for code, started in received.items()]
    return (latencies, runs) if ack else (latencies, runs, list(received))


def step_errors(fake: FakeTwilio, incidents: int = 5) -> tuple[list[float], int]:
    """Each later round's SMS arrival minus its deadline: 5 escalations at once.

    The runs are started directly (no host). Only deadlines that fall after the run sent
    its first page count (the run was running and waiting): the flow's own timer error.
    Returns the errors and how many deadlines had passed before the run was up.
    """
    from flows.escalation import escalate_incident
    from record.reports import receive

    time.sleep(15)  # let the Prefect server catch up with the runs before
    with db.session_scope() as session:
        get_event(session, "dce26").escalation_policy = {"steps": FAST_STEPS}
    codes = [receive(report(1000 + number)).code for number in range(incidents)]
    runs = [threading.Thread(target=escalate_incident, args=(code,)) for code in codes]
    for run in runs:
        run.start()
    for code in codes:
        wait_until(partial(rounds_sent, fake, code, len(DUES)))
    ack_all(codes)
    for run in runs:
        run.join()
    errors, skipped = [], 0
    for code in codes:
        with db.session_scope() as session:
            urgent_at = get_incident(session, code).urgent_at
        assert urgent_at is not None
        arrivals = sorted(r.wall for r in fake.delivered() if f"case {code}." in r.body)
        running_from = arrivals[0]
        for arrival, due in zip(arrivals[1 : len(DUES)], DUES[1:], strict=True):
            deadline = urgent_at.timestamp() + due
            if deadline <= running_from:
                skipped += 1
                continue
            errors.append(arrival - deadline)
    return errors, skipped


def baseline(fake: FakeTwilio, n: int = 30) -> list[float]:
    from twilio.rest import Client

    from adapters.sms import RebasedHttpClient

    client = Client(fake.sid, fake.token, http_client=RebasedHttpClient(fake.url))
    times = []
    for _ in range(n):
        started = time.perf_counter()
        client.messages.create(to="+353851234501", from_=FROM, body="baseline")
        times.append(time.perf_counter() - started)
    return times


WORKER_STEPS = [
    {"target": "primary", "wait_s": 10},
    {"target": "secondary", "wait_s": 10},
    {"target": "all", "wait_s": 10, "repeat_every_s": 10},
]
WORKER_DUES = [0, 10, 20, 30]  # ana; ben; the five; the five
WORKERS_SEQUENTIAL = 5


def twilio_settings(fake: FakeTwilio) -> dict[str, str]:
    return {
        "CARE_TWILIO_ACCOUNT_SID": fake.sid,
        "CARE_TWILIO_AUTH_TOKEN": fake.token,
        "CARE_TWILIO_FROM_NUMBER": FROM,
        "CARE_TWILIO_API_BASE": fake.url,
    }


def on_workers() -> dict[str, Any]:
    """The figures of the production topology (see the module's docstring)."""
    from tests.support.production import postgres_admin_url, production
    from tests.support.rounds import ConnectionPeak, rounds, settle, summary

    home = Path(tempfile.mkdtemp(prefix="care-bench-workers-"))
    with (
        fake_twilio() as fake,
        production(home, settings=twilio_settings(fake)) as prod,
        ConnectionPeak(postgres_admin_url(), prod.care_url) as peak,
    ):
        seeded = urgent_incident(WORKER_STEPS, message_id="bench-seed")
        ack_all([seeded.code])
        sequential, running_sequential = [], []
        for _ in range(WORKERS_SEQUENTIAL):
            latency, running = first_sms(fake, 1)
            sequential += latency
            running_sequential += running
        concurrent, running_concurrent, codes = first_sms(fake, CONCURRENT, ack=False)
        due = {
            (code, index): urgent_at(code) + offset
            for code in codes
            for index, offset in enumerate(WORKER_DUES)
            if index
        }
        wait_until(lambda: time.time() > max(due.values()) + 5 or None, timeout=120)
        ack_all(codes)
        settle(set(codes))
        found = rounds(fake.delivered(), set(codes))
        lateness = found.lateness(due)
    return {
        "topology": "workers: PostgreSQL, 2 Prefect process workers, care host --dispatch urgent",
        "first_sms_p50_s": round(statistics.median(sequential), 3),
        "escalation_running_p50_s": round(statistics.median(running_sequential), 3),
        "first_sms_p95_concurrent_s": round(p(concurrent, 0.95), 3),
        "escalation_running_p95_concurrent_s": round(p(running_concurrent, 0.95), 3),
        "later_rounds": len(due),
        "later_rounds_missing": found.missing(due),
        "later_round_lateness_p50_s": summary(lateness)["p50"],
        "later_round_lateness_p95_s": summary(lateness)["p95"],
        "later_round_lateness_max_s": summary(lateness)["max"],
        "duplicate_sms": found.duplicates,
        "unrecorded_sms": found.unmatched,
        "db_connections_max": peak.peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--topology", choices=["embedded", "workers"], default="embedded")
    if parser.parse_args().topology == "workers":
        figures = on_workers()
        for key, value in figures.items():
            print(f"{key}: {value}")
        print(json.dumps(figures))
        return
    embedded()


def embedded() -> None:
    from tests.support.prefect_server import care_prefect_server

    home = Path(tempfile.mkdtemp(prefix="care-bench-"))
    use_care(home, fresh_sqlite(home))
    with care_prefect_server(home), fake_twilio() as fake:
        for key, value in {
            "CARE_TWILIO_ACCOUNT_SID": fake.sid,
            "CARE_TWILIO_AUTH_TOKEN": fake.token,
            "CARE_TWILIO_FROM_NUMBER": FROM,
            "CARE_TWILIO_API_BASE": fake.url,
        }.items():
            os.environ[key] = value
        from models.settings import get_settings

        get_settings.cache_clear()
        warm_prefect()
        seeded = urgent_incident([{"target": "primary", "wait_s": 600}], message_id="bench-seed")
        ack_all([seeded.code])
        with running_host():
            sequential, flow_part = [], []
            for _ in range(SEQUENTIAL):
                latency, in_flow = first_sms(fake, 1)
                sequential += latency
                flow_part += in_flow
            concurrent, flow_part_concurrent = first_sms(fake, CONCURRENT)
        errors, skipped = step_errors(fake)
        base = baseline(fake)
    figures: dict[str, Any] = {
        "starter": "deployments.host (starter polling every 0.1 s, in-process dispatcher)",
        "first_sms_p50_s": round(statistics.median(sequential), 3),
        "first_sms_p95_s": round(p(sequential, 0.95), 3),
        "first_sms_p50_concurrent_s": round(statistics.median(concurrent), 3),
        "first_sms_p95_concurrent_s": round(p(concurrent, 0.95), 3),
        "report_to_run_running_p50_s": round(statistics.median(flow_part), 3),
        "report_to_run_running_p95_s": round(p(flow_part, 0.95), 3),
        "report_to_run_running_p95_concurrent_s": round(p(flow_part_concurrent, 0.95), 3),
        "step_deadlines_before_run_start": skipped,
        # None: every deadline passed before its run was up (a loaded machine)
        "step_error_p50_s": round(statistics.median(errors), 3) if errors else None,
        "step_error_p95_s": round(p(errors, 0.95), 3) if errors else None,
        "baseline_call_p50_s": round(statistics.median(base), 4),
    }
    figures["first_sms_p50_over_baseline"] = round(
        figures["first_sms_p50_s"] / figures["baseline_call_p50_s"], 1
    )
    print(f"first SMS, one at a time ({SEQUENTIAL}): p50 {figures['first_sms_p50_s']} s")
    print(f"  the escalation run running p50: {figures['report_to_run_running_p50_s']} s")
    print(f"first SMS, {CONCURRENT} at once: p95 {figures['first_sms_p95_concurrent_s']} s")
    print(f"step timing error p95: {figures['step_error_p95_s']} s")
    print(f"bare twilio call p50: {figures['baseline_call_p50_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
