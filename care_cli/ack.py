"""`care ack`: acknowledge an urgent page from the command line (stops the paging)."""

from __future__ import annotations

import typer
from rich.console import Console

from models import db
from models.validation import InvalidInput
from record.incidents import get_incident
from record.urgent_pages import acknowledge

console = Console()


def ack(
    code: str,
    member: str = typer.Option(..., help="your handle"),
    totp: str = typer.Option(..., "--code", help="the current code from your authenticator"),
) -> None:
    """Acknowledge an urgent incident: paging stops; the first to acknowledge responds."""
    with db.session_scope() as session:
        incident = get_incident(session, code)
        result = acknowledge(session, incident, handle=member, channel="cli", code=totp)
        case = incident.code
    if not result.counted:
        raise InvalidInput(f"acknowledgement of {case} not counted: {result.refusal}")
    role = "you are the first responder" if result.first else "recorded"
    console.print(f"{case} acknowledged: {role}; paging stops")
