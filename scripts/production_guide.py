"""Follow the README's "Going to production" step by step on this machine, then use it.

Every command of the section's ``sh`` blocks is in ``GUIDE`` below, in the README's order,
and this script runs exactly those commands (tests/test_production_guide.py compares the
two). Each runs as a shell on the machine would, with the settings file of its step
loaded (``set -a && . FILE && set +a``), in the checkout (``CARE_CODE_DIR``). What the
guide leaves to the operator is this script's own, and marked so: the two PostgreSQL
databases (on scripts/postgres.sh's private cluster), the settings files (temporary
ports and directories; Twilio pointed at a fake Messages API on 127.0.0.1), the team, and
the checks between the steps.

Then one incident goes from a JSON report to its close (review in the Prefect API as the
UI sends it, the sign-off with `care approve`), and one urgent report to its first SMS.
``--waiting 20`` also leaves 20 incidents waiting for review and prints the resident
memory (VmRSS) of every process of the topology.

Run it after `make venv`: ``.venv/bin/python scripts/production_guide.py [--waiting N]``.
Every process it starts is stopped when it ends, however it ends; a step that fails
prints the tail of its log.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.e2e.care_app import Authenticator, PrefectApi  # noqa: E402
from tests.support.fake_twilio import FROM, FakeTwilio, fake_twilio  # noqa: E402
from tests.support.prefect_server import free_port  # noqa: E402
from tests.support.production import descendants, new_database, postgres_admin_url  # noqa: E402

CARE_ENV = "/etc/care/care.env"  # the README's settings files; this script writes its own
SERVER_ENV = "/etc/care/prefect-server.env"


@dataclass(frozen=True)
class Step:
    """A command of the README, the settings file it runs with, and how it is run."""

    command: str
    settings: str | None = CARE_ENV  # None: before the settings file is written
    service: str | None = None  # a long-running part: its log's name
    times: int = 1  # "on each machine": this script starts it this many times


GUIDE = [
    Step("care key generate", settings=None),
    Step("prefect server start", settings=SERVER_ENV, service="prefect-server"),
    Step("care init"),
    Step("care prefect work-pool create care --type process"),
    Step("care prefect work-pool create care-urgent --type process"),
    Step("care prefect --no-prompt deploy --all"),
    Step("nice -n 10 care prefect worker start --pool care --limit 4", service="worker", times=2),
    Step("care host --dispatch urgent", service="host"),
    Step("care intake serve", service="intake"),
    Step("care status"),
]

# what this script adds to the README's care.env, and nothing else (the test checks): the
# fake Twilio's address and quick retries, and a rate limit for the --waiting reports
EXTRA_SETTINGS = {"CARE_TWILIO_API_BASE", "CARE_SMS_BACKOFF_S", "CARE_INTAKE_RATE_LIMIT"}


class Failed(SystemExit):
    """A step or a check failed: the message (with the logs' tails) and exit code 1."""


class Machine:
    """One machine following the guide: its directory, its settings files, its processes."""

    def __init__(self, home: Path, stack: ExitStack) -> None:
        self.home, self.stack = home, stack
        self.files = {CARE_ENV: home / "care.env", SERVER_ENV: home / "prefect-server.env"}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CARE_", "PREFECT_"))}
        self.env |= {
            "HOME": str(home),  # Prefect's profile and caches stay in this run's directory
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),  # a worktree runs its own code, not the venv's checkout
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "160",
        }
        self.services: list[tuple[str, subprocess.Popen[bytes]]] = []
        stack.callback(self.stop)

    def shell(self, step: Step) -> list[str]:
        """The step's command in a shell with its settings file loaded."""
        if step.settings is None:
            return ["bash", "-c", f"exec {step.command}"]
        loaded = f'set -a && . "{self.files[step.settings]}" && set +a && exec {step.command}'
        return ["bash", "-c", loaded]

    def run(self, step: Step, check: bool = True) -> subprocess.CompletedProcess[str]:
        print(f"$ {step.command}", flush=True)
        done = subprocess.run(
            self.shell(step), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        if check and done.returncode:
            raise Failed(f"`{step.command}` exited {done.returncode}:\n{done.stdout}{done.stderr}")
        return done

    def start(self, step: Step) -> subprocess.Popen[bytes]:
        name = (
            f"{step.service}-{sum(n.startswith(str(step.service)) for n, _ in self.services) + 1}"
        )
        print(f"$ {step.command} &   # {name}, log {self.home / name}.log", flush=True)
        with (self.home / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                self.shell(step),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.services.append((name, process))
        return process

    def log_tail(self, name: str, lines: int = 40) -> str:
        log = self.home / f"{name}.log"
        text = log.read_text(errors="replace") if log.exists() else "(no log)"
        return f"--- {log} (last {lines} lines)\n" + "\n".join(text.splitlines()[-lines:])

    def until(self, what: str, ready: Callable[[], Any], timeout: float = 180) -> Any:
        """Wait for ``ready``; fail with every service's log tail (the first dead one first)."""
        deadline = time.monotonic() + timeout
        while True:
            dead = [name for name, process in self.services if process.poll() is not None]
            value = None if dead else ready()
            if value:
                return value
            if dead or time.monotonic() > deadline:
                names = dead + [n for n, _ in self.services if n not in dead]
                tails = "\n".join(self.log_tail(name) for name in names)
                why = f"{', '.join(dead)} exited" if dead else f"not after {timeout:.0f} s"
                raise Failed(f"waiting for {what}: {why}\n{tails}")
            time.sleep(0.3)

    def stop(self) -> None:
        """SIGTERM to every process started (and their children), then SIGKILL."""
        for _, process in reversed(self.services):
            for pid in [*descendants(process.pid), process.pid]:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        for _, process in reversed(self.services):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                for pid in [*descendants(process.pid), process.pid]:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                process.wait()


@dataclass(frozen=True)
class Where:
    """This run's directory, addresses and databases."""

    home: Path
    api: str
    auth_string: str
    intake_port: int
    care_db: str
    prefect_db: str


def care_settings(where: Where, key: str, fake: FakeTwilio) -> dict[str, str]:
    """The README's /etc/care/care.env, with this run's values."""
    return {
        "CARE_ENV": "production",
        "CARE_ENCRYPTION_KEY": key,
        "CARE_DATABASE_URL": where.care_db,
        "CARE_DATA_DIR": str(where.home / "data"),
        "CARE_CODE_DIR": str(ROOT),
        "CARE_PUBLIC_URL": f"http://127.0.0.1:{where.intake_port}",
        "CARE_INTAKE_HOST": "127.0.0.1",
        "CARE_INTAKE_PORT": str(where.intake_port),
        "CARE_PREFECT_API_URL": where.api,
        "CARE_PREFECT_API_AUTH_STRING": where.auth_string,
        "CARE_PREFECT_UI_URL": where.api.removesuffix("/api"),
        "CARE_TWILIO_ACCOUNT_SID": fake.sid,
        "CARE_TWILIO_AUTH_TOKEN": fake.token,
        "CARE_TWILIO_FROM_NUMBER": FROM,
        "CARE_TWILIO_API_BASE": fake.url,
        "CARE_SMS_BACKOFF_S": "0.01",
        "CARE_INTAKE_RATE_LIMIT": "1000/minute",
    }


def server_settings(where: Where) -> dict[str, str]:
    """The README's /etc/care/prefect-server.env, with this run's values."""
    return {
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": where.prefect_db.replace("+psycopg", "+asyncpg"),
        "PREFECT_SERVER_API_AUTH_STRING": where.auth_string,
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(urlsplit(where.api).port),
        "PREFECT_UI_API_URL": where.api,
        "PREFECT_HOME": str(where.home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def write_settings(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in values.items()))
    path.chmod(0o600)


def follow_the_guide(machine: Machine, fake: FakeTwilio) -> dict[str, Any]:
    """The README's steps, each followed by this script's check of it (marked "check")."""
    home, steps = machine.home, iter(GUIDE)
    # this script's: two empty databases on the private cluster, and free ports
    admin = postgres_admin_url()
    care_db = new_database(admin, "care_guide")
    prefect_db = new_database(admin, "prefect_guide")
    machine.stack.callback(_drop, admin, [care_db, prefect_db])
    api_port, intake_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}/api"
    auth = ("care-ops", secrets.token_urlsafe(16))

    key = machine.run(next(steps)).stdout.strip()  # care key generate
    (home / "data").mkdir()
    where = Where(home, api, ":".join(auth), intake_port, care_db, prefect_db)
    write_settings(machine.files[CARE_ENV], care_settings(where, key, fake))
    write_settings(machine.files[SERVER_ENV], server_settings(where))
    machine.start(next(steps))  # prefect server start
    # check: the server answers, and only with the auth string
    machine.until("the Prefect server", lambda: _answers(f"{api}/health"))
    if httpx.post(f"{api}/deployments/filter", json={}, timeout=10).status_code != 401:
        raise Failed("the Prefect server answers without its auth string")
    machine.run(next(steps))  # care init
    for _ in range(3):  # the two work pools, the deployments
        machine.run(next(steps))
    prefect = PrefectApi(api, auth=auth)
    machine.until("the deployments", lambda: _deployments(prefect))
    worker = next(steps)
    for _ in range(worker.times):
        machine.start(worker)
    host, intake = next(steps), next(steps)
    machine.start(host)
    machine.start(intake)
    # check: each part says it is up
    for name, says in (("worker-1", "started!"), ("worker-2", "started!"), ("host-1", "running")):
        machine.until(name, partial(_says, home, name, says))
    intake_url = f"http://127.0.0.1:{intake_port}"
    machine.until("the intake", lambda: _answers(f"{intake_url}/healthz"))
    status = next(steps)  # care status: every part ok (the workers poll within a minute)
    machine.until("`care status` to pass", lambda: machine.run(status, check=False).returncode == 0)
    return {"api": api, "auth": auth, "intake": intake_url, "prefect": prefect}


def _answers(url: str) -> bool:
    with suppress(httpx.HTTPError):
        return httpx.get(url, timeout=2).status_code == 200
    return False


def _says(home: Path, name: str, says: str) -> bool:
    return says in (home / f"{name}.log").read_text(errors="replace")


def _deployments(prefect: PrefectApi) -> bool:
    with suppress(httpx.HTTPError):
        return bool(prefect.http.post("/deployments/filter", json={}).raise_for_status().json())
    return False


def _drop(admin: str, urls: list[str]) -> None:
    """This script's databases dropped (whatever still holds a connection)."""
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for url in urls:
                conn.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'
                )
    finally:
        engine.dispose()


# -- this script's own: the team, one incident to its close, one urgent report ---------------

TEAM = {"ana": "+15005550101", "ben": "+15005550102", "chloe": "+15005550103"}


def care(machine: Machine, *args: str) -> str:
    """A `care` command of the operator's (or a member's), with CARE's settings loaded."""
    loaded = f'set -a && . "{machine.files[CARE_ENV]}" && set +a && exec care "$@"'
    done = subprocess.run(
        ["bash", "-c", loaded, "care", *args],
        cwd=ROOT,
        env=machine.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        raise Failed(f"care {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def add_team(machine: Machine) -> Authenticator:
    """An event running now, three members with their authenticators, two on call."""
    today, now = date.today(), datetime.now(UTC)
    care(machine, "event", "add", "dce26", "--name", "DjangoCon Europe 2026",
         "--code-prefix", "DCE26", "--starts", str(today - timedelta(days=1)),
         "--ends", str(today + timedelta(days=3)), "--timezone", "Europe/Dublin")  # fmt: skip
    codes = Authenticator()
    for handle, phone in TEAM.items():
        care(machine, "member", "add", handle, "--name", handle.title(), "--phone", phone)
        uri = care(machine, "member", "enroll", handle).split("authenticator app:")[1].split()[0]
        codes.add(handle, uri)
    for handle, tier in (("ana", "primary"), ("ben", "secondary")):
        care(machine, "oncall", "set", "dce26", handle, "--tier", tier,
             "--starts", (now - timedelta(hours=1)).isoformat(timespec="minutes"),
             "--ends", (now + timedelta(hours=6)).isoformat(timespec="minutes"))  # fmt: skip
    return codes


def report(intake: str, what: str, **fields: Any) -> str:
    """A report sent as JSON to `POST /reports`; its case code."""
    body = {"what_happened": what, "idempotency_key": secrets.token_hex(8), **fields}
    answer = httpx.post(f"{intake}/reports", json=body, timeout=30)
    if answer.status_code != 201:
        raise Failed(f"POST /reports answered {answer.status_code}: {answer.text}")
    return str(answer.json()["case_code"])


def close_one_incident(machine: Machine, parts: dict[str, Any], codes: Authenticator) -> str:
    """A JSON report, its review in Prefect's form, `care approve`, closed by the flow."""
    prefect: PrefectApi = parts["prefect"]
    code = report(parts["intake"], "Someone kept interrupting a speaker.", anonymous=True)
    run_id = machine.until(f"the run incident-{code}", lambda: prefect.named(f"incident-{code}"))
    run_id = str(run_id[0]["id"])
    review = {
        "reviewer": "ana",
        "code": codes.later("ana"),
        "what_happened": "Repeated interruptions during a talk.",
        "violation": "No, it was not a violation",
        "resolve_no_action": True,
        "reporter_explanation": "The team talked to the speaker; no action was needed.",
    }
    prefect.answer(run_id, review, timeout=180)  # as the Prefect UI's Resume sends it
    time.sleep(1)
    asked = prefect.form(run_id) or {}

    def signoff() -> bool:
        """The review went to sign-off; or the run asks again, saying why it did not count."""
        again = prefect.form(run_id)
        if again is not None and again["description"] != asked.get("description"):
            raise Failed(f"the review of {code} did not count:\n{again['description']}")
        return bool(prefect.signoff_runs(code))

    machine.until(f"the sign-off of {code}", signoff)
    # the reviewer counts as one; a second member approves on the command line
    machine.until(
        f"ben's approval of {code}",
        lambda: _approved(machine, code, "ben", codes),
        timeout=120,
    )
    machine.until(f"{code} to close", lambda: prefect.state(run_id) == "COMPLETED", timeout=240)
    shown = care(machine, "incident", "show", code)
    if "closed" not in shown:
        raise Failed(f"{code} is not closed:\n{shown}")
    return code


def _approved(machine: Machine, code: str, member: str, codes: Authenticator) -> bool:
    try:
        care(machine, "approve", code, "--member", member, "--code", codes.code(member))
    except Failed as refused:  # the sign-off is not open yet: try again
        print(f"  (not yet: {str(refused).splitlines()[-1]})", flush=True)
        return False
    return True


def first_sms(machine: Machine, parts: dict[str, Any], fake: FakeTwilio) -> tuple[str, float]:
    """An urgent JSON report; the seconds until the primary's SMS reached (fake) Twilio."""
    sent = time.monotonic()
    code = report(parts["intake"], "Someone is following an attendee around.", danger=True,
                  anonymous=True)  # fmt: skip
    page = machine.until(
        f"the first SMS of {code}",
        lambda: [r for r in fake.delivered() if code in r.body and r.to == TEAM["ana"]],
        timeout=60,
    )
    return code, page[0].at - sent


# -- what the topology costs with incidents waiting ------------------------------------------


def rss_kib(pid: int) -> int:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def resident(machine: Machine) -> dict[str, int]:
    """VmRSS of every process of the topology (a service's shell is replaced by `exec`)."""
    found = {}
    for name, process in machine.services:
        found[name] = rss_kib(process.pid)
        for child in descendants(process.pid):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            part = "time-keeper" if name.startswith("host") else "flow process"
            found[f"{name} {part} {child} ({cmdline[:60].strip()})"] = rss_kib(child)
    return found


def waiting(machine: Machine, parts: dict[str, Any], incidents: int) -> dict[str, int]:
    """``incidents`` reports, each waiting for its review; then every process's VmRSS."""
    prefect: PrefectApi = parts["prefect"]
    codes = {
        report(parts["intake"], f"Waiting incident {n}.", anonymous=True) for n in range(incidents)
    }

    def all_waiting() -> bool:
        paused = {r["name"].removeprefix("incident-") for r in prefect.paused()}
        return codes <= paused

    machine.until(f"{incidents} incidents waiting", all_waiting, timeout=600)
    workers = [p.pid for name, p in machine.services if name.startswith("worker")]
    with suppress(Failed):  # the flow processes that suspended them exit
        machine.until("the flow processes to exit", lambda: not any(map(descendants, workers)), 60)
    return resident(machine)


def _clean(home: Path, options: argparse.Namespace) -> None:
    if not options.keep:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiting", type=int, default=0, help="then leave N incidents waiting")
    parser.add_argument("--keep", action="store_true", help="keep the directory (logs)")
    options = parser.parse_args()
    # stopped from outside (a CI timeout): clean up as on Ctrl-C
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("# stopped (SIGTERM)"))
    started = time.monotonic()
    with ExitStack() as stack:
        home = Path(tempfile.mkdtemp(prefix="care-guide-"))
        stack.callback(_clean, home, options)
        machine = Machine(home, stack)
        fake = stack.enter_context(fake_twilio())
        try:
            parts = follow_the_guide(machine, fake)
            print(f"# the guide's topology is up after {time.monotonic() - started:.0f} s")
            codes = add_team(machine)
            closed = close_one_incident(machine, parts, codes)
            print(f"# {closed}: from a JSON report to closed")
            urgent, after = first_sms(machine, parts, fake)
            print(f"# {urgent}: the first SMS reached Twilio {after:.2f} s after the report")
            if options.waiting:
                print(f"# resident memory (VmRSS) with {options.waiting} incidents waiting:")
                for name, kib in waiting(machine, parts, options.waiting).items():
                    print(f"#   {name}: {kib / 1024:.0f} MiB")
        except Failed:
            options.keep = True
            print(f"# failed; logs kept in {home}", file=sys.stderr)
            raise
    print(f"# production guide followed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
