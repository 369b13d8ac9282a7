"""`care act`, `care host` and `care demo codes`: the lifecycle from the command line."""

from __future__ import annotations

import signal
import sys
import threading

import typer
from rich.console import Console

from models import db, totp
from models.settings import get_settings
from models.validation import InvalidInput
from record import members
from record.incidents import get_incident
from record.unilateral import record_unilateral_action

demo_app = typer.Typer(no_args_is_help=True, help="The embedded default's demo team.")
console = Console()


def register(app: typer.Typer) -> None:
    app.command("act")(act)
    app.command("host")(host)
    app.add_typer(demo_app, name="demo")


def act(
    code: str,
    member: str = typer.Option(..., help="your handle"),
    totp_code: str = typer.Option(..., "--code", help="the current code from your authenticator"),
    action: str | None = typer.Option(None, help="what you did; read from stdin if omitted"),
) -> None:
    """Record an immediate action you took alone for someone's safety; the team reviews it."""
    from adapters.prefect_api import wake

    text = action if action is not None else sys.stdin.read()
    with db.session_scope() as session:
        incident = get_incident(session, code)
        taken = record_unilateral_action(
            session, incident, member=member, code=totp_code, action=text
        )
        due, run_id = taken.review_due_at, incident.flow_run_id
    wake(run_id)  # the incident's flow opens the review's sign-off
    console.print(
        f"{code}: recorded as a unilateral action; the team must review it by "
        f"{due:%Y-%m-%d %H:%M} UTC"
    )


def host(
    dispatch: bool = typer.Option(
        True, help="run flow runs in this process (off when a Prefect worker runs them)"
    ),
) -> None:
    """Run the CARE host: start each incident's flows from the record (and run them)."""
    from deployments.host import Host

    running = Host(dispatch=dispatch).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"CARE host running (dispatch={'on' if dispatch else 'off'}); Ctrl-C stops it")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


@demo_app.command("codes")
def demo_codes() -> None:
    """Print the demo members' current authenticator codes (embedded default only)."""
    if not get_settings().embedded:
        raise InvalidInput("demo codes exist only on the embedded default")
    with db.session_scope() as session:
        demo = [m for m in members.list_members(session) if m.handle.startswith("demo-")]
        if not demo:
            raise InvalidInput("there are no demo members (start CARE with `make run` first)")
        for member in demo:
            if member.totp_secret:
                console.print(f"{member.handle}: {totp.current_code(member.totp_secret)}")
    console.print("Each code is accepted once; a new one comes every 30 seconds.")
