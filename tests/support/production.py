"""CARE's production topology on this machine, as the README's "Going to production" sets it up.

CARE's record and Prefect's database on PostgreSQL (one private cluster, two databases),
CARE's Prefect server launcher on that database, a process work pool `care`, the
deployments from `prefect.yaml` (`prefect --no-prompt deploy --all`), Prefect process
workers and `care host --dispatch urgent`. Every part is a process of its own, started
with the commands an operator types; this process only stores reports and reads results.

The Prefect server is protected by an auth string. Only the server is given Prefect's
own settings; CARE's processes get CARE's (``CARE_PREFECT_API_URL``,
``CARE_PREFECT_API_AUTH_STRING``), and Prefect's commands run as ``care prefect ...``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from deployments.embedded import prefect_env, start_prefect
from models.settings import get_settings
from tests.support.care_db import drop_postgres, fresh_postgres, use_care
from tests.support.prefect_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def postgres_admin_url() -> str:
    """The private PostgreSQL cluster of the tests (started, or installed, by scripts/)."""
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()


def new_database(admin_url: str, prefix: str) -> str:
    """An empty database on the cluster; its SQLAlchemy URL (psycopg)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


@dataclass
class Production:
    """The running topology: its URLs, its processes and the environment each one has."""

    home: Path
    care_url: str
    prefect_url: str  # Prefect's database
    api: str
    env: dict[str, str]  # CARE's processes
    auth: tuple[str, str]  # the server's auth string, as httpx sends it
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    hosts: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        with (self.home / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def prefect(self, *args: str, timeout: float = 300) -> None:
        """A `prefect` command, as the operator runs it: `care prefect ...`."""
        done = subprocess.run(
            [sys.executable, "-m", "care_cli.main", "prefect", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def status(self) -> tuple[int, dict[str, str]]:
        """`care status --json`, as a monitor runs it: its exit code and each part's status."""
        done = subprocess.run(
            [sys.executable, "-m", "care_cli.main", "status", "--json"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        checks = json.loads(done.stdout)["checks"] if done.stdout.strip() else []
        return done.returncode, {check["part"]: check["status"] for check in checks}

    def started(self, name: str, process: subprocess.Popen[bytes], says: str) -> None:
        """Wait until the process's log says it is up (importing CARE takes a while)."""
        log = self.home / f"{name}.log"
        deadline = time.monotonic() + 180
        while says not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {log}")
            time.sleep(0.2)

    def start_worker(self) -> subprocess.Popen[bytes]:
        name = f"worker-{len(self.workers) + 1}"
        # as the README says: the flow processes it starts inherit the lower CPU priority
        command = ["nice", "-n", "10", sys.executable, "-m", "care_cli.main", "prefect"]
        command += ["worker", "start", "--pool", "care"]
        worker = self.start(name, [*command, "--limit", "4", "--name", f"care-{name}"])
        self.workers.append(worker)
        self.started(name, worker, "started!")
        return worker

    def start_host(self) -> subprocess.Popen[bytes]:
        name = f"host-{len(self.hosts) + 1}"
        command = [sys.executable, "-m", "care_cli.main", "host", "--dispatch", "urgent"]
        host = self.start(name, command)
        self.hosts.append(host)
        self.started(name, host, "CARE host running")
        return host

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> int:
        """``kill -9`` of a worker and of every flow process it started; how many died."""
        victims = [*descendants(worker.pid), worker.pid]
        for pid in victims:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.wait()
        return len(victims)

    def stop(self) -> None:
        for process in [*self.hosts, *self.workers]:
            for pid in [*descendants(process.pid), process.pid]:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        for process in [*self.hosts, *self.workers]:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                for pid in [*descendants(process.pid), process.pid]:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                process.wait()


def wait_for_deployments(api: str, auth: tuple[str, str], count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(httpx.HTTPError):
            answer = httpx.post(f"{api}/deployments/filter", json={}, auth=auth, timeout=5)
            if len(answer.raise_for_status().json()) >= count:
                return
        time.sleep(0.5)
    raise RuntimeError(f"fewer than {count} deployments after {timeout} s")


@contextmanager
def production(
    home: Path, *, workers: int = 2, hosts: int = 1, settings: Mapping[str, str] | None = None
) -> Iterator[Production]:
    """Start the whole topology; this process's CARE settings point at its record too."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from deployments.registry import care_flows

    admin = postgres_admin_url()
    care_url = fresh_postgres(admin)
    prefect_url = new_database(admin, "prefect_t").replace("+psycopg", "+asyncpg")
    saved = dict(os.environ)
    use_care(home, care_url)
    api = f"http://127.0.0.1:{free_port()}/api"
    auth = ("care-ops", secrets.token_urlsafe(12))
    auth_string = ":".join(auth)
    prefect = prefect_env(home, api)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")},
        **{k: v for k, v in prefect.items() if k not in ("PREFECT_API_URL", "PREFECT_UI_API_URL")},
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
        "CARE_CODE_DIR": str(ROOT),
        "CARE_PREFECT_API_URL": api,
        "CARE_PREFECT_API_AUTH_STRING": auth_string,
        **(settings or {}),
    }
    server_env = {
        **env,
        **prefect,
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_url,
        "PREFECT_SERVER_API_AUTH_STRING": auth_string,
    }
    os.environ.update({k: v for k, v in (settings or {}).items() if k.startswith("CARE_")})
    get_settings.cache_clear()
    topology = Production(home, care_url, prefect_url, api, env, auth)
    with ExitStack() as stack:
        stack.callback(_forget, saved, admin, [care_url, prefect_url])
        server = start_prefect(home, api, 180, ui=False, env=server_env)
        stack.callback(_stop, server)
        this = {PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: auth_string}
        stack.enter_context(temporary_settings(updates=this))
        topology.prefect("work-pool", "create", "care", "--type", "process")
        topology.prefect("work-pool", "create", "care-urgent", "--type", "process")
        topology.prefect("--no-prompt", "deploy", "--all")
        wait_for_deployments(api, auth, len(care_flows()))
        stack.callback(topology.stop)
        for _ in range(workers):
            topology.start_worker()
        for _ in range(hosts):
            topology.start_host()
        yield topology


def _forget(saved: dict[str, str], admin: str, databases: list[str]) -> None:
    """This process's settings as they were; the topology's databases dropped."""
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()
    for url in databases:
        with suppress(Exception):
            drop_postgres(admin, url.replace("+asyncpg", "+psycopg"))


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
