"""`care outbox`: what CARE sent or holds to send, decrypted for the operator; audited."""

from __future__ import annotations

import typer

from models import db
from models.validation import InvalidInput
from record import outbox


def show(
    incident: str | None = typer.Option(None, "--incident", help="only this case, e.g. DCE26-1"),
    limit: int = typer.Option(20, "--limit", help="how many of the newest messages"),
    as_: str = typer.Option("operator", "--as", help="who reads"),
) -> None:
    """Print the newest outgoing messages (SMS, Slack, e-mail), newest first."""
    if limit < 1:
        raise InvalidInput("--limit must be 1 or more")
    with db.session_scope() as session:
        messages = outbox.read(session, actor=as_, via="cli", incident_code=incident, limit=limit)
    for m in messages:
        typer.echo(block(m))
        typer.echo("")
    typer.echo(f"{len(messages)} messages shown, newest first")


def block(m: outbox.Sent) -> str:
    """One message as a plain block of text."""
    lines = [
        f"time:    {m.at.isoformat(timespec='seconds')}",
        f"channel: {m.channel} ({m.status})",
        f"to:      {m.recipient}",
        f"case:    {m.incident_code or '-'}",
    ]
    if m.subject:
        lines.append(f"subject: {m.subject}")
    lines += ["", *(f"  {line}" for line in m.body.splitlines() or [""])]
    return "\n".join(lines)
