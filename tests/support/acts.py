"""The acts of a member, performed through each channel as a member would use it.

Prefect form: the paused run is answered through Prefect's API as the UI's Resume does.
Console: HTTP to the intake app, signed in. Slack: a signed interaction. CLI: the `care`
command (typer). SMS: a Twilio-signed webhook from the member's phone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from fastapi.testclient import TestClient
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from twilio.request_validator import RequestValidator
from typer.testing import CliRunner

from adapters import notices
from care_cli.main import app as care_app
from deployments.host import Host
from tests.support import slack_requests as sr
from tests.support.codes import Codes
from tests.support.console import csrf, sign_in
from tests.support.escalation import PHONES
from tests.support.fake_twilio import TOKEN
from tests.support.host import answer_form, delete_all_runs

PUBLIC = "https://care.example.org"
ACTION = "Asked security to escort P1 out of the venue"
NOTE = "Spoke with the venue's security lead"


@dataclass
class World:
    """One team, its Prefect runs, and the clients of every channel."""

    codes: Codes
    intake: TestClient  # the intake app: console, Slack and Twilio endpoints
    incident: str = ""
    decision: int = 0
    run: str = ""  # the Prefect run whose form the act may be given in


@contextmanager
def host_without_sweep() -> Iterator[Host]:
    """The CARE host, with its sweep (which wakes runs whose wake was lost) out of the way:
    a channel that forgets to wake a run must not be rescued by it."""
    delete_all_runs()
    host = Host(poll_s=0.1, sweep_s=3600).start()
    try:
        yield host
    finally:
        host.stop()
        delete_all_runs()


def run_named(name: str) -> str | None:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
        )
    return str(runs[0].id) if runs else None


def state_names(run_id: str) -> list[str]:
    with get_client(sync_client=True) as client:
        return [s.name or "" for s in client.read_flow_run_states(UUID(run_id))]


def _console(world: World, handle: str) -> TestClient:
    client = TestClient(world.intake.app)
    assert sign_in(client, handle, world.codes(handle)).status_code == 303
    return client


def _console_post(world: World, handle: str, path: str, **fields: str | Callable[[], str]) -> None:
    """Sign in, then post the form (a callable field, such as a code, is made after signing in)."""
    client = _console(world, handle)
    data = {key: value() if callable(value) else value for key, value in fields.items()}
    response = client.post(path, data={**data, "csrf": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303, response.text


def _slack(world: World, action_id: str, value: str, handle: str) -> None:
    body = sr.interaction_body(sr.click(action_id, value, user=f"U{handle.upper()}"))
    headers = sr.signed(body, content_type=sr.FORM)
    response = world.intake.post("/slack/interactivity", content=body, headers=headers)
    assert response.status_code == 200


def _care(*args: str) -> None:
    result = CliRunner().invoke(care_app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)


def _sms(world: World, handle: str, body: str) -> None:
    params = {"MessageSid": "SM" + "b" * 32, "From": PHONES[handle], "To": "+1", "Body": body}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/twilio/sms", params)
    response = world.intake.post(
        "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200 and "ACK" in response.text, response.text


def approve(channel: str, w: World) -> None:
    """Ben approves decision ``w.decision``."""
    if channel == "ui":
        form = {"member": "ben", "verdict": "approve", "code": w.codes.later("ben")}
        answer_form(w.run, {**form, "comment": ""})
    elif channel == "console":
        path = f"/console/decisions/{w.decision}/answer"
        _console_post(w, "ben", path, verdict="approve", code=w.codes.later("ben"))
    elif channel == "slack":
        _slack(w, notices.APPROVE, str(w.decision), "ben")
    else:
        _care("approve", "--decision", str(w.decision), "--member", "ben", "--code", w.codes("ben"))


def acknowledge(channel: str, w: World) -> None:
    """Dev takes the urgent case ``w.incident``."""
    if channel == "ui":
        answer_form(w.run, {"member": "dev", "code": w.codes.later("dev")})
    elif channel == "console":
        _console_post(w, "dev", f"/console/incidents/{w.incident}/acknowledge")
    elif channel == "slack":
        _slack(w, notices.ACK, w.incident, "dev")
    elif channel == "cli":
        _care("ack", w.incident, "--member", "dev", "--code", w.codes("dev"))
    else:
        _sms(w, "dev", f"ACK {w.incident}")


def declare_conflict(channel: str, w: World) -> None:
    """Chloe declares a conflict on ``w.incident``."""
    if channel == "console":
        _console_post(w, "chloe", f"/console/incidents/{w.incident}/conflict")
    elif channel == "slack":
        _slack(w, notices.CONFLICT, w.incident, "chloe")
    else:
        _care("conflict", "declare", w.incident, "--member", "chloe")


def add_note(channel: str, w: World) -> None:
    """Ben adds a note to ``w.incident``."""
    if channel == "console":
        _console_post(w, "ben", f"/console/incidents/{w.incident}/notes", body=NOTE)
    else:
        _care("note", w.incident, "--member", "ben", "--text", NOTE)


def act_alone(channel: str, w: World) -> None:
    """Ana records an immediate action she took alone on ``w.incident``."""
    assert channel == "cli"
    _care("act", w.incident, "--member", "ana", "--code", w.codes("ana"), "--action", ACTION)


PERFORM: dict[str, Callable[[str, World], None]] = {
    "approve": approve,
    "acknowledge": acknowledge,
    "declare-conflict": declare_conflict,
    "add-note": add_note,
    "act-alone": act_alone,
}
