"""How fast and how cheap the lifecycle is on the embedded default.

Starts a real Prefect server (SQLite) and the CARE host as separate processes, as
`make run` does, then measures:
- resume_p50_s / resume_p95_s: a sign-off form submitted (the resume call) -> the
  sign-off run running again (from Prefect's own state timestamps);
- rss_100_waiting_mib: the CARE host's RSS with 100 incidents suspended at review,
  next to its RSS with none waiting (the baseline, same process);
- lifecycle_wall_s: report stored -> incident closed, driven by scripted approvals.
Prints JSON on its last line.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WAITING = 100
RESUMES = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="care-bench-"))
    api_url = f"http://127.0.0.1:{free_port()}/api"
    from deployments.embedded import prefect_env, start_prefect

    os.environ.update(prefect_env(tmp, api_url))
    server = start_prefect(tmp, api_url)
    try:
        run(tmp, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)


def run(tmp: Path, server_pid: int) -> None:
    from prefect.client.orchestration import get_client
    from prefect.flow_runs import resume_flow_run

    from models import db
    from record import members
    from tests.support.care_db import fresh_sqlite, use_care
    from tests.support.codes import Codes
    from tests.support.host import answer_form, wait_for, waiting_form
    from tests.support.lifecycle import NO_VIOLATION, incident_run, pending, whole_lifecycle
    from tests.support.seed import seed_report, seed_team

    use_care(tmp, fresh_sqlite(tmp))
    with db.session_scope() as session:
        team = seed_team(session)
    codes = Codes(team.totp)
    host = subprocess.Popen(
        [sys.executable, "-m", "care_cli.main", "host"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(8)  # the host registers its deployments
        baseline = rss_mib(host.pid)

        start = time.monotonic()
        with db.session_scope() as session:
            code = seed_report(session, message_id="whole")
        whole_lifecycle(code, codes)
        lifecycle_wall = time.monotonic() - start

        handles = [f"m{i:02d}" for i in range(2 * RESUMES)]  # a fresh code for each answer
        with db.session_scope() as session:
            for handle in handles:
                members.add_member(session, handle_=handle, display_name=handle)
                codes.secrets[handle], _ = members.enroll(session, handle)
            codes_ = [seed_report(session, message_id=f"w{i}") for i in range(WAITING)]
        runs = {c: incident_run(c) for c in codes_}
        wait_for(lambda: all(waiting_form(r) for r in runs.values()), timeout=600, every=1.0)
        time.sleep(2)
        waiting_rss = rss_mib(host.pid)

        delays = []
        for i, c in enumerate(codes_[:RESUMES]):
            reviewer, second = handles[2 * i], handles[2 * i + 1]
            answer_form(
                runs[c], {"reviewer": reviewer, "code": codes.later(reviewer), **NO_VIOLATION}
            )
            signoff = pending(c, "review_outcome")
            run_id = UUID(signoff.flow_run_id or "")
            wait_for(partial(waiting_form, run_id))
            resumed_at = time.time()
            resume_flow_run(
                run_id, run_input={"member": second, "verdict": "approve", "code": codes(second)}
            )
            delays.append(running_again_after(run_id, resumed_at, get_client))
    finally:
        host.terminate()
        host.wait(timeout=20)

    delays.sort()
    result = {
        "resume_p50_s": round(statistics.median(delays), 3),
        "resume_p95_s": round(delays[int(0.95 * (len(delays) - 1))], 3),
        "rss_100_waiting_mib": round(waiting_rss, 1),
        "rss_host_idle_mib": round(baseline, 1),
        "rss_prefect_server_mib": round(rss_mib(server_pid), 1),
        "lifecycle_wall_s": round(lifecycle_wall, 2),
        "waiting": WAITING,
        "resumes": len(delays),
    }
    print(f"resume p50 {result['resume_p50_s']} s, p95 {result['resume_p95_s']} s")
    print(f"host RSS {baseline:.0f} MiB idle -> {waiting_rss:.0f} MiB with {WAITING} waiting")
    print(json.dumps(result))


def running_again_after(run_id: UUID, since: float, get_client: object) -> float:
    """Seconds from `since` to the run's first Running state after it (Prefect's clock)."""
    from tests.support.host import wait_for

    def first_running() -> float | None:
        with get_client(sync_client=True) as client:  # type: ignore[operator]
            for state in client.read_flow_run_states(run_id):
                if state.is_running() and state.timestamp.timestamp() > since:
                    return state.timestamp.timestamp() - since
        return None

    value = wait_for(first_running, timeout=120, every=0.5)
    assert isinstance(value, float)
    return value


if __name__ == "__main__":
    main()
