"""`make run`'s process is healthy by `care status`, and stopped as a service manager stops
it, it leaves nothing running (and `care status` says so)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import httpx

from tests.support.host import wait_for
from tests.support.prefect_server import free_port


def test_sigterm_stops_care_and_its_prefect_server(tmp_path: Path) -> None:
    prefect_port, intake_port = free_port(), free_port()
    env = {
        **os.environ,
        "CARE_DATA_DIR": str(tmp_path / "care"),
        "CARE_PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api",
        "CARE_INTAKE_PORT": str(intake_port),
    }
    env.pop("PREFECT_API_URL", None)
    care = subprocess.Popen(
        [sys.executable, "-m", "deployments.embedded"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert care.stdout is not None
        for line in care.stdout:  # until CARE says it runs (or exits)
            if "Press Ctrl-C to stop." in line:
                break
        wait_for(lambda: _answers(f"http://127.0.0.1:{intake_port}/report"), timeout=30)
        running = cast(dict[str, Any], wait_for(lambda: _healthy(env), timeout=30))
        care.send_signal(signal.SIGTERM)
        assert care.wait(timeout=60) is not None
        out = care.stdout.read()
    finally:
        if care.poll() is None:
            care.kill()
    assert "CARE stopped." in out
    prefect = f"http://127.0.0.1:{prefect_port}/api/health"
    wait_for(lambda: not _answers(prefect), timeout=30)  # Prefect's server does not outlive CARE
    parts = {check["part"]: check["status"] for check in running["checks"]}
    assert parts == {
        "record": "ok",
        "host": "ok",
        "time-keeper": "ok",
        "deadlines": "ok",
        "outbox": "ok",
        "prefect": "ok",
        "workers": "ok",  # none: the embedded host runs every flow
        "runs": "ok",
    }
    stopped = _status(env)
    assert stopped.returncode == 1
    after = {check["part"]: check["status"] for check in json.loads(stopped.stdout)["checks"]}
    assert after["host"] == after["time-keeper"] == after["prefect"] == "fail"


def _status(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "care_cli.main", "status", "--json"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def _healthy(env: dict[str, str]) -> dict[str, object] | None:
    """`care status --json` once it exits 0 (the host may take a moment to loop)."""
    done = _status(env)
    return json.loads(done.stdout) if done.returncode == 0 else None


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
