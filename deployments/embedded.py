"""`make run`: CARE on its embedded default, on one machine, from nothing.

Starts the Prefect server (SQLite, in the data directory) with its UI, brings CARE's
database up to date, adds a demo event and demo team the first time, then runs the CARE
host (flows served in-process) and the intake service until Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from models.settings import get_settings

log = logging.getLogger("care.run")


def prefect_env(data_dir: Path, api_url: str) -> dict[str, str]:
    """The environment of the Prefect server and of CARE's own Prefect client."""
    port = str(urlsplit(api_url).port or 4200)
    return {
        "PREFECT_HOME": str(data_dir / "prefect"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": port,
        "PREFECT_UI_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # every run says it is alive twice a minute: a run that stops is found (lost_runs)
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
        "DO_NOT_TRACK": "1",
    }


def start_prefect(
    data_dir: Path,
    api_url: str,
    timeout_s: float = 120.0,
    *,
    ui: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start CARE's Prefect server (`deployments.prefect_server`); wait until it answers /health.

    ``env``: the server's whole environment (e.g. Prefect's database on PostgreSQL);
    by default this process's, with `prefect_env` over it.
    """
    env = dict(env) if env is not None else {**os.environ, **prefect_env(data_dir, api_url)}
    port = env["PREFECT_SERVER_API_PORT"]
    logfile = (data_dir / "prefect-server.log").open("ab")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deployments.prefect_server",
            *("--host", "127.0.0.1", "--port", port),
            "--ui" if ui else "--no-ui",
        ],
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"care: the Prefect server exited; see {logfile.name}")
        try:
            if httpx.get(f"{api_url}/health", timeout=1.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"care: the Prefect server did not start in {timeout_s:.0f}s")


def seed_demo() -> list[str]:
    """A demo event and four demo members, the first time only; return their handles."""
    from models import db
    from models.db import utcnow
    from record import members
    from record.events import add_event, list_events

    with db.session_scope() as session:
        if list_events(session):
            return [m.handle for m in members.list_members(session) if m.handle.startswith("demo-")]
        now = utcnow()
        today = now.date()
        event = add_event(
            session,
            slug_="democon",
            name="DemoCon (embedded default)",
            code_prefix="DEMO",
            starts_on=today,
            ends_on=today + timedelta(days=2),
            timezone_="UTC",
            series="democon",
            attendees=300,
        )
        handles = ["demo-ana", "demo-ben", "demo-chloe", "demo-dev"]
        for number, handle in enumerate(handles, start=1):
            # 555-01xx: numbers reserved for fiction, should Twilio credentials be set
            phone = f"+1202555010{number}"
            members.add_member(session, handle_=handle, display_name=handle.title(), phone=phone)
            members.enroll(session, handle)
        for handle, tier in (("demo-ana", "primary"), ("demo-ben", "secondary")):
            members.set_oncall(
                session,
                event=event,
                handle_=handle,
                tier=tier,
                starts_at=now,
                ends_at=now + timedelta(days=3),
            )
        return handles


def _stop_as_on_ctrl_c(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # every `finally` below runs: the host and Prefect's server stop


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_as_on_ctrl_c)  # `kill`, systemd, docker stop
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(prefect_env(data_dir, settings.prefect_api_url))
    print("starting the Prefect server (SQLite) ...", flush=True)
    server = start_prefect(data_dir, settings.prefect_api_url)
    try:
        serve(settings.intake_host, settings.intake_port)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        print("CARE stopped.", flush=True)


def serve(host: str, port: int) -> None:
    """Migrate, seed, start the host, and run the intake service until Ctrl-C."""
    import uvicorn

    from deployments.host import Host
    from intake.app import create_app
    from models import migrate

    migrate.upgrade()
    demo = seed_demo()
    care_host = Host().start()
    settings = get_settings()
    print(
        "\nCARE is running (embedded default).\n"
        f"  Prefect UI (sign-offs, forms): {settings.prefect_ui_url}\n"
        f"  Intake service (report form):  http://{host}:{port}/report\n"
        f"  Member console:                http://{host}:{port}/console\n"
        f"  Demo members: {', '.join(demo)}; their codes: .venv/bin/care demo codes\n"
        "  SMS, Slack and e-mail go to the outbox until credentials are set.\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        uvicorn.run(
            create_app(),
            host=host,
            port=port,
            proxy_headers=True,
            forwarded_allow_ips=settings.trusted_proxies or [],
            log_level="warning",
        )
    finally:
        care_host.stop()


if __name__ == "__main__":
    main()
