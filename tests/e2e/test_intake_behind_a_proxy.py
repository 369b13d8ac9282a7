"""`care intake serve` behind a proxy: each reporter has their own rate limit when the
proxy is trusted, and a forwarded address from anyone else is not believed."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.care_app import free_port
from tests.support import cli


def care(home: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return cli.care(home, *args, settings=settings)


@contextmanager
def serving(home: Path, **settings: str) -> Iterator[str]:
    """`care intake serve` on a free port; its base URL once it answers."""
    assert care(home, "init").returncode == 0
    edition = ["event", "add", "dce26", "--name", "DjangoCon Europe 2026", "--code-prefix"]
    edition += ["DCE26", "--starts", "2026-01-01", "--ends", "2036-12-31"]
    assert care(home, *edition, "--timezone", "Europe/Dublin").returncode == 0
    port = free_port()
    command = [sys.executable, "-m", "care_cli.main", "intake", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=home, env=cli.environment(home, settings), stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the intake did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(20)


def report(base: str, reporter: str) -> int:
    """A report sent through the proxy on this machine for a reporter at this address."""
    answer = httpx.post(
        f"{base}/reports",
        json={"what_happened": f"a report from {reporter}"},
        headers={"X-Forwarded-For": reporter},
        timeout=30,
    )
    return answer.status_code


def test_behind_a_trusted_proxy_each_reporter_has_their_own_limit(tmp_path: Path) -> None:
    with serving(tmp_path, CARE_INTAKE_RATE_LIMIT="2/minute") as base:  # trusts 127.0.0.1
        first = [report(base, "203.0.113.7") for _ in range(3)]
        second = report(base, "198.51.100.23")
    assert first == [201, 201, 429]
    assert second == 201  # another reporter behind the same proxy is not refused


def test_a_forwarded_address_from_an_untrusted_proxy_is_not_believed(tmp_path: Path) -> None:
    settings = {"CARE_INTAKE_RATE_LIMIT": "2/minute", "CARE_TRUSTED_PROXIES": "10.9.9.9"}
    with serving(tmp_path, **settings) as base:
        codes = [report(base, f"203.0.113.{i}") for i in range(3)]
    assert codes == [201, 201, 429]  # one address (the sender's), whatever it claims


@pytest.mark.parametrize("proxies", ["10.0.0.300", "proxy.example.org", "10.0.0.0/33"])
def test_a_trusted_proxy_that_is_no_address_is_refused(tmp_path: Path, proxies: str) -> None:
    done = care(tmp_path, "intake", "serve", CARE_TRUSTED_PROXIES=proxies)
    assert done.returncode == 2
    assert done.stderr.startswith("care: CARE_TRUSTED_PROXIES:"), done.stderr
    assert "Traceback" not in done.stderr
