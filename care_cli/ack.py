"""`care ack`: acknowledge an urgent page from the command line (stops the paging)."""

from __future__ import annotations

import typer
from rich.console import Console

from care_cli.records import follow_up
from models import db
from models.db import utcnow
from models.validation import InvalidInput
from policy.refusals import to_you
from record.acts.acknowledge import take_urgent_case

console = Console()


def ack(
    code: str,
    member: str = typer.Option(..., help="your handle"),
    totp: str = typer.Option(..., "--code", help="the current code from your authenticator"),
) -> None:
    """Acknowledge an urgent incident: paging stops; the first to acknowledge responds."""
    submitted_at = utcnow()
    with db.session_scope() as session:
        result = take_urgent_case(
            session,
            incident_code=code,
            handle=member,
            channel="cli",
            code=totp,
            submitted_at=submitted_at,
        )
    case = result.incident_code
    if not result.counted:
        why = to_you(result.refusal or "refused")
        raise InvalidInput(f"acknowledgement of {case} not counted: {why}")
    follow_up(result.follow)
    role = "you are the first responder" if result.first else "recorded"
    console.print(f"{case} acknowledged: {role}; paging stops")
