"""CARE from the outside: started as a user starts it, driven only through public surfaces.

This module imports nothing from CARE. It starts the embedded default exactly as `make run`
does (``python -m deployments.embedded``) with its own data directory and free ports, and
offers what a member, a reporter or the operator can reach: the `care` CLI, the intake's web
form, the console (over HTTP, or in Chromium) and Prefect's REST API as the Prefect UI calls it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
CARE = ROOT / ".venv" / "bin" / "care"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEMO = ("demo-ana", "demo-ben", "demo-chloe", "demo-dev")
STEP_S = 30  # an authenticator code's time step
START_TIMEOUT_S = 180.0
# a review outcome as a member fills in the review form (the incident run's first pause)
REVIEW = {
    "what_happened": "Unwelcome remarks at the coffee break",
    # a drop-down offers labels, as a member sees them; the record keeps its keys
    "category": "Harassment",
    "violation": "Yes, it was a violation",
    "intentional": "Yes, on purpose",
    "severity": "Medium",
    "resolve_stop_behaviour": True,
    "reporter_explanation": "The behaviour broke the code of conduct.",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 90.0, every: float = 0.25) -> Any:
    """Poll until predicate returns something truthy; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {predicate}")
        time.sleep(every)


def hidden(html: str, name: str) -> str:
    """The value of a form's hidden input by name (the first one on the page)."""
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    if found is None:
        found = re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    if found is None:
        raise AssertionError(f"no hidden input {name!r} on the page")
    return unescape(found.group(1))


class Authenticator:
    """The demo members' authenticator apps: each code handed out once, as a phone would."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.used: dict[str, int] = {}

    def add(self, handle: str, uri: str) -> None:
        self.secrets[handle] = parse_qs(urlsplit(uri).query)["secret"][0]
        self.used.pop(handle, None)

    def code(self, handle: str) -> str:
        """The member's next unused code: this step's, or the next one (one step of drift)."""
        while True:
            now = int(time.time() // STEP_S)
            step = max(now, self.used.get(handle, -1) + 1)
            if step <= now + 1:
                self.used[handle] = step
                return pyotp.TOTP(self.secrets[handle]).generate_otp(step)
            time.sleep(0.5)

    def later(self, handle: str) -> Callable[[], str]:
        return lambda: self.code(handle)


@dataclass
class CareApp:
    """One running CARE (embedded default) and the ways in from outside."""

    data_dir: Path
    intake_url: str
    prefect_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    codes: Authenticator = field(default_factory=Authenticator)

    @property
    def api_url(self) -> str:
        return f"{self.prefect_url}/api"

    @property
    def log(self) -> Path:
        return self.data_dir / "care-run.log"

    # -- the operator's terminal ---------------------------------------------------------

    def care(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        """Run the `care` CLI against this CARE; return what it printed."""
        done = subprocess.run(
            [str(CARE), *args],
            cwd=self.data_dir.parent,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"care {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout + done.stderr

    def enroll(self, handle: str) -> None:
        """Give a member a new authenticator secret (`care member enroll`), kept for codes."""
        out = self.care("member", "enroll", handle)
        uri = re.search(r"otpauth://\S+", out)
        assert uri is not None, out
        self.codes.add(handle, uri.group(0))

    def enroll_demo(self) -> None:
        for handle in DEMO:
            self.enroll(handle)

    def demo_codes(self) -> dict[str, str]:
        """What `care demo codes` prints, as handle -> code."""
        out = self.care("demo", "codes")
        return dict(re.findall(r"^(demo-[a-z]+): (\d{6})$", out, flags=re.MULTILINE))

    # -- a reporter -----------------------------------------------------------------------

    def report_on_the_web(self, **fields: str) -> tuple[int, str]:
        """Fill in and send the intake's web form; return the status and the page."""
        with httpx.Client(base_url=self.intake_url, timeout=30) as client:
            form = client.get("/report")
            form.raise_for_status()
            data = {
                "csrf_token": hidden(form.text, "csrf_token"),
                "idempotency_key": hidden(form.text, "idempotency_key"),
                "danger": "no",
                **fields,
            }
            sent = client.post("/reports", data=data)
            return sent.status_code, sent.text

    def report_case_code(self, **fields: str) -> str:
        status, page = self.report_on_the_web(**fields)
        found = re.search(r'id="case-code">([^<]+)<', page)
        assert status == 200 and found is not None, (status, page[:2000])
        return found.group(1).strip()

    # -- members --------------------------------------------------------------------------

    def console(self, handle: str) -> Console:
        return Console(self, handle).sign_in()

    @contextmanager
    def browser(self) -> Iterator[Any]:
        """Headless Debian Chromium, driven by Playwright."""
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                yield launched
            finally:
                launched.close()

    def page(self, browser: Any, **options: Any) -> Any:
        """A new page that may reach only this CARE (the intake and the Prefect UI)."""
        context = browser.new_context(**options)
        allowed = (self.intake_url, self.prefect_url)

        def route(r: Any) -> None:
            if r.request.url.startswith(allowed):
                r.continue_()
            else:
                r.abort()

        context.route("**/*", route)
        return context.new_page()

    def signed_in_page(self, browser: Any, handle: str, **options: Any) -> Any:
        """A page signed in to the console as this member (the sign-in form, filled in)."""
        page = self.page(browser, **options)
        sign_in_in_browser(page, self, handle)
        return page

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """CARE's own process stopped (SIGSTOP) while Prefect's server keeps answering: what
        a member submits in the Prefect UI meanwhile is processed only when CARE goes on,
        as when the machine is loaded or a worker is slow to start the resumed run."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    @property
    def prefect(self) -> PrefectApi:
        return PrefectApi(self.api_url)

    def review(self, code: str, reviewer: str, **answers: Any) -> str:
        """Answer the incident's review form (as the Prefect UI does) with REVIEW (and
        answers over it); return the name of its sign-off run, signoff-<CODE>-d<id>."""
        before = {r["id"] for r in self.prefect.signoff_runs(code)}
        values = {"reviewer": reviewer, "code": self.codes.later(reviewer), **REVIEW, **answers}
        self.prefect.answer(self.prefect.incident_run(code), values)

        def new_signoff() -> str | None:
            runs = [r for r in self.prefect.signoff_runs(code) if r["id"] not in before]
            return str(runs[0]["name"]) if runs else None

        name: str = wait_for(new_signoff, timeout=120)
        return name


def sign_in_in_browser(page: Any, app: CareApp, handle: str, code: str | None = None) -> None:
    page.goto(f"{app.intake_url}/console/sign-in")
    page.get_by_label("Your handle").fill(handle)
    page.get_by_label("6-digit code").fill(code or app.codes.code(handle))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


class Console:
    """The members' console over HTTP, as a browser without JavaScript uses it."""

    def __init__(self, app: CareApp, handle: str) -> None:
        self.app, self.handle = app, handle
        self.http = httpx.Client(base_url=app.intake_url, timeout=30, follow_redirects=True)
        self.csrf = ""

    def sign_in(self, code: str | None = None) -> Console:
        form = self.http.get("/console/sign-in")
        answer = self.http.post(
            "/console/sign-in",
            data={
                "handle": self.handle,
                "code": code or self.app.codes.code(self.handle),
                "nonce": hidden(form.text, "nonce"),
                "next": "/console/",
            },
        )
        if answer.status_code != 200 or "/sign-in" in str(answer.url):
            raise AssertionError(f"{self.handle} could not sign in: {answer.status_code}")
        self.csrf = hidden(answer.text, "csrf")
        return self

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def post(self, path: str, data: Mapping[str, str] | None = None) -> httpx.Response:
        """POST a console form with this session's CSRF token."""
        return self.http.post(path, data={"csrf": self.csrf, **(data or {})})

    def close(self) -> None:
        self.http.close()


class PrefectApi:
    """Prefect's REST API, called as the Prefect UI calls it."""

    def __init__(self, api_url: str, auth: tuple[str, str] | None = None) -> None:
        """``auth``: the server's auth string as (user, password), if it has one."""
        self.http = httpx.Client(base_url=api_url, timeout=30, auth=auth)

    def runs(self, **flow_run_filter: Any) -> list[dict[str, Any]]:
        body = {"sort": "EXPECTED_START_TIME_DESC", "limit": 200}
        if flow_run_filter:
            body["flow_runs"] = flow_run_filter
        answer = self.http.post("/flow_runs/filter", json=body)
        answer.raise_for_status()
        return list(answer.json())

    def run(self, run_id: str) -> dict[str, Any]:
        answer = self.http.get(f"/flow_runs/{run_id}")
        answer.raise_for_status()
        return dict(answer.json())

    def named(self, prefix: str) -> list[dict[str, Any]]:
        """Runs whose name starts with prefix (newest first), e.g. "incident-DEMO-1"."""
        return [r for r in self.runs(name={"like_": prefix}) if r["name"].startswith(prefix)]

    def wait_for_run(self, prefix: str, timeout: float = 120.0) -> str:
        """The id of the newest run whose name starts with prefix, once it exists."""
        runs: list[dict[str, Any]] = wait_for(lambda: self.named(prefix), timeout=timeout)
        return str(runs[0]["id"])

    def incident_run(self, code: str) -> str:
        return self.wait_for_run(f"incident-{code}")

    def signoff_runs(self, code: str) -> list[dict[str, Any]]:
        """The sign-off runs of an incident (named signoff-<CODE>-d<decision id>)."""
        return self.named(f"signoff-{code}-d")

    def paused(self) -> list[dict[str, Any]]:
        return self.runs(state={"type": {"any_": ["PAUSED"]}})

    def run_input(self, run_id: str, key: str) -> Any:
        answer = self.http.get(f"/flow_runs/{run_id}/input/{key}")
        if answer.status_code != 200:
            return None
        try:
            return json.loads(answer.text)
        except ValueError:
            return answer.text

    def form(self, run_id: str) -> dict[str, Any] | None:
        """A paused run's form: its schema and description, once both are stored."""
        run = self.run(run_id)
        state = run.get("state") or {}
        keyset = (state.get("state_details") or {}).get("run_input_keyset")
        if state.get("type") != "PAUSED" or not keyset:
            return None
        schema = self.run_input(run_id, keyset["schema"])
        description = self.run_input(run_id, keyset.get("description", ""))
        if schema is None or description is None:
            return None
        return {"schema": schema, "description": description, "keyset": keyset}

    def wait_for_form(self, run_id: str, timeout: float = 120.0) -> dict[str, Any]:
        found: dict[str, Any] = wait_for(lambda: self.form(run_id), timeout=timeout)
        return found

    def resume(self, run_id: str, run_input: Mapping[str, Any]) -> httpx.Response:
        """Submit the form as the UI's Resume does."""
        return self.http.post(f"/flow_runs/{run_id}/resume", json={"run_input": dict(run_input)})

    def answer(self, run_id: str, values: Mapping[str, Any], timeout: float = 120.0) -> None:
        """Wait for the run's form, then submit it (values may be callables, made at submit)."""
        deadline = time.monotonic() + timeout
        while True:
            self.wait_for_form(run_id, timeout=max(deadline - time.monotonic(), 1))
            ready = {k: v() if callable(v) else v for k, v in values.items()}
            answer = self.resume(run_id, ready)
            if answer.status_code in (200, 201):
                body = answer.json()
                if body.get("status") == "ACCEPT":
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"resume of {run_id} refused: {answer.text}")
            time.sleep(1)

    def state(self, run_id: str) -> str:
        return str((self.run(run_id).get("state") or {}).get("type"))


def care_env(data_dir: Path, intake_port: int, prefect_port: int) -> dict[str, str]:
    """A user's shell with CARE's embedded default on these ports and in this directory."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CARE_", "PREFECT_", "VIRTUAL"))
    }
    env.update(
        {
            "CARE_ENV": "embedded",
            "CARE_DATA_DIR": str(data_dir),
            "CARE_INTAKE_HOST": "127.0.0.1",
            "CARE_INTAKE_PORT": str(intake_port),
            "CARE_PUBLIC_URL": f"http://127.0.0.1:{intake_port}",
            "CARE_PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api",
            "CARE_PREFECT_UI_URL": f"http://127.0.0.1:{prefect_port}",
            # the CLI's Prefect client talks to this CARE's server, never a temporary one
            "PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api",
            "PREFECT_HOME": str(data_dir / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "160",  # the CLI's lines as a wide terminal shows them, unwrapped
        }
    )
    return env


def _healthy(app: CareApp) -> bool:
    if app.process is not None and app.process.poll() is not None:
        raise AssertionError(f"CARE exited ({app.process.returncode}):\n{app.log.read_text()}")
    try:
        intake = httpx.get(f"{app.intake_url}/healthz", timeout=2)
        prefect = httpx.get(f"{app.api_url}/health", timeout=2)
    except httpx.HTTPError:
        return False
    return intake.status_code == 200 and prefect.status_code == 200


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Stop CARE as Ctrl-C does (its process group), then for good if it hangs."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def running_care(workdir: Path, *, timeout: float = START_TIMEOUT_S) -> Iterator[CareApp]:
    """Start CARE's embedded default (what `make run` runs), wait until healthy, stop it."""
    data_dir = workdir / ".care"
    data_dir.mkdir(parents=True, exist_ok=True)
    intake_port, prefect_port = free_port(), free_port()
    env = care_env(data_dir, intake_port, prefect_port)
    app = CareApp(
        data_dir=data_dir,
        intake_url=f"http://127.0.0.1:{intake_port}",
        prefect_url=f"http://127.0.0.1:{prefect_port}",
        env=env,
    )
    with app.log.open("ab") as log:
        app.process = subprocess.Popen(
            [str(PYTHON if PYTHON.exists() else sys.executable), "-m", "deployments.embedded"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, by its pid
        )
    try:
        wait_for(lambda: _healthy(app), timeout=timeout, every=0.5)
        yield app
    finally:
        stop(app.process)
