"""`make run`'s process, stopped as a service manager stops it, leaves nothing running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

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
        care.send_signal(signal.SIGTERM)
        assert care.wait(timeout=60) is not None
        out = care.stdout.read()
    finally:
        if care.poll() is None:
            care.kill()
    assert "CARE stopped." in out
    prefect = f"http://127.0.0.1:{prefect_port}/api/health"
    wait_for(lambda: not _answers(prefect), timeout=30)  # Prefect's server does not outlive CARE


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
