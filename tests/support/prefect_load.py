"""Paused runs answered over Prefect's REST API as the UI does, while other clients write.

The UI's Resume sends one ``POST /flow_runs/{id}/resume`` with the form's answer and does
not retry: a 5xx there is an answer lost. The writers stand for what else writes to
Prefect's database at the same moment (runs being created and moved on, their logs).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import httpx

SCHEMA = {"type": "object", "properties": {"verdict": {"type": "string"}}}


def _post(client: httpx.Client, path: str, body: Any) -> dict[str, Any]:
    """Set-up calls: retried while the server is busy, so only the answers are measured."""
    for _ in range(100):
        response = client.post(path, json=body)
        if response.status_code < 500:
            response.raise_for_status()
            body_out = response.json() if response.content else None
            return dict(body_out) if isinstance(body_out, dict) else {}
        time.sleep(0.2)
    raise RuntimeError(f"{path}: the Prefect server stayed unavailable")


class Target(NamedTuple):
    """A flow and a deployment of it (a suspended run resumes only through a deployment)."""

    flow_id: str
    deployment_id: str


def a_deployment(client: httpx.Client) -> Target:
    """A flow and a deployment to hang the runs on."""
    flow_id = str(_post(client, "/flows/", {"name": "care-load"})["id"])
    made = _post(client, "/deployments/", {"name": "care-load", "flow_id": flow_id})
    return Target(flow_id, str(made["id"]))


class PausedRun(NamedTuple):
    """A run waiting with a form, and the key its answer is stored under."""

    run_id: str
    response_key: str


def paused_run(client: httpx.Client, target: Target) -> PausedRun:
    """A run suspended with a form, as a CARE flow leaves it waiting for a member."""
    run = {"flow_id": target.flow_id, "deployment_id": target.deployment_id}
    run_id = str(_post(client, "/flow_runs/", run)["id"])
    key = f"k{uuid.uuid4().hex[:8]}"
    _post(
        client, f"/flow_runs/{run_id}/input", {"key": f"{key}-schema", "value": json.dumps(SCHEMA)}
    )
    _post(client, f"/flow_runs/{run_id}/set_state", {"state": {"type": "RUNNING"}, "force": True})
    details = {
        "pause_reschedule": True,
        "pause_key": key,
        "pause_timeout": "2099-01-01T00:00:00Z",
        "run_input_keyset": {
            "schema": f"{key}-schema",
            "response": f"{key}-response",
            "description": f"{key}-description",
        },
    }
    state = {"type": "PAUSED", "name": "Suspended", "state_details": details}
    _post(client, f"/flow_runs/{run_id}/set_state", {"state": state, "force": True})
    return PausedRun(run_id, f"{key}-response")


def resume(client: httpx.Client, run_id: str) -> tuple[int, float, str]:
    """Answer one paused run as the UI does: status code, seconds taken, Prefect's verdict.

    No answer within the client's timeout is status 0 (the member gave up waiting)."""
    started = time.perf_counter()
    try:
        response = client.post(
            f"/flow_runs/{run_id}/resume", json={"run_input": {"verdict": "approve"}}
        )
    except httpx.TimeoutException:
        return 0, time.perf_counter() - started, "timed out"
    took = time.perf_counter() - started
    verdict = response.json().get("status", "") if response.status_code < 500 else ""
    return response.status_code, took, str(verdict)


def stored(client: httpx.Client, run: PausedRun) -> bool:
    """Whether Prefect holds the answer given to this run's form."""
    return client.get(f"/flow_runs/{run.run_id}/input/{run.response_key}").status_code == 200


@contextmanager
def writers(api: str, target: Target, count: int, limit_s: float) -> Iterator[None]:
    """`count` clients that create runs, move them on and log, until the block ends."""
    stop = threading.Event()
    deadline = time.monotonic() + limit_s

    def write() -> None:
        with httpx.Client(base_url=api, timeout=30) as client:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    made = client.post("/flow_runs/", json={"flow_id": target.flow_id})
                    if made.status_code >= 300:
                        continue
                    run_id = made.json()["id"]
                    client.post(
                        f"/flow_runs/{run_id}/set_state", json={"state": {"type": "PENDING"}}
                    )
                    log = {"name": "care", "level": 20, "message": "step", "flow_run_id": run_id}
                    client.post("/logs/", json=[{**log, "timestamp": "2026-01-01T00:00:00Z"}] * 5)
                except httpx.HTTPError:
                    continue

    threads = [threading.Thread(target=write, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
