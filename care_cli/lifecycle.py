"""`care act`, `care host`, `care prefect` and `care demo codes`: the lifecycle from the
command line."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import typer
from rich.console import Console

from care_cli.records import follow_up
from deployments.serving import Dispatch
from models import db, totp
from models.db import utcnow
from models.settings import get_settings
from models.validation import InvalidInput
from record import members
from record.acts.act_alone import act_alone

demo_app = typer.Typer(no_args_is_help=True, help="The embedded default's demo team.")
console = Console()


def register(app: typer.Typer) -> None:
    app.command("act")(act)
    app.command("host")(host)
    app.command(
        "prefect",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(prefect)
    app.add_typer(demo_app, name="demo")


def act(
    code: str,
    member: str = typer.Option(..., help="your handle"),
    totp_code: str = typer.Option(..., "--code", help="the current code from your authenticator"),
    action: str | None = typer.Option(None, help="what you did; read from stdin if omitted"),
) -> None:
    """Record an immediate action you took alone for someone's safety; the team reviews it."""
    submitted_at = utcnow()
    text = action if action is not None else sys.stdin.read()
    with db.session_scope() as session:
        taken = act_alone(
            session,
            incident_code=code,
            handle=member,
            code=totp_code,
            action=text,
            channel="cli",
            submitted_at=submitted_at,
        )
    follow_up(taken.follow)  # the incident's flow opens the review's sign-off
    console.print(
        f"{taken.incident_code}: recorded as a unilateral action; the team must review it by "
        f"{taken.review_due_at:%Y-%m-%d %H:%M} UTC"
    )


def host(
    dispatch: Dispatch = typer.Option(
        Dispatch.ALL.value,
        help=(
            "which flow runs this process runs: all (no Prefect worker), urgent (beside "
            "Prefect process workers: escalations and acknowledgement forms start at once), "
            "none (workers run everything)"
        ),
    ),
) -> None:
    """Run the CARE host: start each incident's flows from the record (and run them)."""
    from deployments.host import Host

    logging.getLogger("care").setLevel(logging.INFO)  # each round paged, the lease, restarts
    running = Host(dispatch=dispatch, timekeeper_process=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"CARE host running (runs flows: {dispatch.value}); Ctrl-C stops it")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


def prefect(context: typer.Context) -> None:
    """Run a `prefect` command with CARE's Prefect settings (API URL and auth string).

    E.g. `care prefect worker start --pool care`: CARE_PREFECT_API_URL and
    CARE_PREFECT_API_AUTH_STRING (from the environment or `.env`) reach Prefect as its
    PREFECT_API_URL and PREFECT_API_AUTH_STRING, so CARE and Prefect share one
    configuration."""
    # `care` has put CARE's Prefect settings in this process's environment (main); the
    # command replaces this process, so a worker gets its signals directly
    command = [sys.executable, "-m", "prefect", *context.args]
    os.execv(sys.executable, command)  # noqa: S606 (our interpreter, Prefect, its arguments)


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
