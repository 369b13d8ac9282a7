"""Are members' answers in the Prefect UI lost while CARE works under load?

Real parts: a Prefect server on SQLite (the embedded default), CARE's record on SQLite,
the CARE host running 20 incidents (10 of them urgent, paging into the outbox), and a CPU
hog busy on one of the machine's cores. 200 answers are submitted through Prefect's
resume endpoint exactly as the UI's Resume does (one POST, no retry), at about ten a
second, to runs that wait with a form. An answer is lost when Prefect did not store it.

Measured twice in this process: on Prefect's own server (the baseline) and on CARE's
(``deployments.prefect_server``: a resume's first transaction begun IMMEDIATE, the garbage
collector off the event loop). The last line is JSON
with CARE's figures (`answers_lost`, `answers_5xx`, `resume_p95_s`; targets 0, 0, <= 2 s)
and the baseline's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("CARE_AFTER_CONFERENCE_SWEEP", "false")

import httpx

from models import db
from tests.support.care_db import fresh_sqlite, use_care
from tests.support.host import running_host
from tests.support.prefect_load import a_deployment, paused_run, resume, stored
from tests.support.prefect_server import care_prefect_server
from tests.support.seed import seed_report, seed_team

ANSWERS, INCIDENTS, PACE_S = 200, 20, 0.1


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@contextmanager
def cpu_hog() -> Iterator[None]:
    """One process spinning on a core for as long as the block runs."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def measure(stock: bool) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="care-bench-answers-"))
    use_care(home, fresh_sqlite(home))
    with db.session_scope() as session:
        seed_team(session)
    with care_prefect_server(home, stock=stock) as base, cpu_hog():
        api = f"{base}/api"
        with httpx.Client(base_url=api, timeout=120) as client, running_host():
            target = a_deployment(client)
            runs = [paused_run(client, target) for _ in range(ANSWERS)]
            with db.session_scope() as session:
                for number in range(INCIDENTS):
                    seed_report(session, message_id=f"bench-{number}", urgent=number % 2 == 0)
            answers = []
            for run in runs:
                answers.append(resume(client, run.run_id))
                time.sleep(PACE_S)
            kept = sum(stored(client, run) for run in runs)
    took = [seconds for _, seconds, _ in answers]
    return {
        "answers": ANSWERS,
        "answers_lost": ANSWERS - kept,
        "answers_5xx": sum(code >= 500 for code, _, _ in answers),
        "answers_timed_out": sum(code == 0 for code, _, _ in answers),  # no reply in 120 s
        "resume_p50_s": round(statistics.median(took), 3),
        "resume_p95_s": round(p95(took), 3),
    }


def main() -> None:
    load_before = os.getloadavg()[0]
    baseline = measure(stock=True)
    print("Prefect's own server (baseline):", baseline, flush=True)
    care = measure(stock=False)
    print("CARE's Prefect server:", care, flush=True)
    figures = {
        **care,
        "baseline": baseline,
        "incidents": INCIDENTS,
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
