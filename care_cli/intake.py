"""`care report` (a report relayed by staff), `care intake email` (the MTA pipe) and
`care intake serve` (the intake service)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import uuid

import typer

from models.validation import InvalidInput, handle

intake_app = typer.Typer(no_args_is_help=True, help="Reports arriving from outside.")
EDITOR_HINT = "# Write what happened below. Lines starting with '#' are left out.\n"


def register(app: typer.Typer) -> None:
    app.add_typer(intake_app, name="intake")
    app.command("report")(report)


@intake_app.command("serve")
def serve(
    host: str | None = typer.Option(None, help="the address to listen on [CARE_INTAKE_HOST]"),
    port: int | None = typer.Option(None, help="the port [CARE_INTAKE_PORT]"),
) -> None:
    """Run the intake service (report form, console, Slack and Twilio webhooks) behind
    your TLS proxy; it believes forwarded addresses from CARE_TRUSTED_PROXIES only."""
    import uvicorn

    from models.settings import get_settings

    settings = get_settings()
    uvicorn.run(
        "intake.app:create_app",
        factory=True,
        host=host or settings.intake_host,
        port=port or settings.intake_port,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies or [],
        log_level="warning",
    )


@intake_app.command("email")
def email() -> None:
    """Store one e-mail read on stdin (an MTA pipe).

    Exit 0 when stored or already stored, 65 when the message cannot be a report,
    75 on a transient error (the MTA keeps the message and retries).
    """
    from adapters import email_inbox, receipts
    from adapters.email_parse import NotAReport

    raw = sys.stdin.buffer.read()
    try:
        received = email_inbox.ingest(raw)
    except NotAReport as exc:
        print(f"care: not a report: {exc}", file=sys.stderr)
        raise typer.Exit(email_inbox.EX_DATAERR) from None
    except Exception as exc:  # database down, settings missing: keep it, try again later
        print(f"care: temporary failure, try again later ({type(exc).__name__})", file=sys.stderr)
        raise typer.Exit(email_inbox.EX_TEMPFAIL) from None
    if received.created:
        receipts.follow_up(received)
    print(f"{received.code} {'stored' if received.created else 'already stored'}")


def report(
    relayed_by: str = typer.Option(..., "--relayed-by", help="your handle"),
    when: str | None = typer.Option(None, help="when it happened"),
    where: str | None = typer.Option(None, help="where it happened"),
    involved: str | None = typer.Option(None, help="who was involved"),
    witnesses: str | None = typer.Option(None, help="who saw it"),
    urgent: bool = typer.Option(False, "--urgent", help="someone is in danger right now"),
    name: str | None = typer.Option(None, "--reporter-name", help="the reporter's name"),
    contact: str | None = typer.Option(
        None, "--reporter-contact", help="e-mail, phone (+CC...) or Slack user id"
    ),
    consent: bool = typer.Option(
        False, "--consent/--no-consent", help="the reporter agrees to be contacted"
    ),
    anonymous: bool = typer.Option(False, "--anonymous", help="the reporter stays anonymous"),
    event: str | None = typer.Option(None, help="event slug (default: the current event)"),
    message_id: str | None = typer.Option(None, help="a key that makes a re-run store nothing"),
) -> None:
    """Record a report someone told you; the narrative comes from stdin or $EDITOR."""
    from adapters import receipts
    from models.contact import contact_kind
    from models.schemas import ReportIn
    from record import reports

    narrative = _narrative()
    received = reports.receive(
        ReportIn(
            channel="staff",
            channel_message_id=message_id or f"staff-{uuid.uuid4()}",
            narrative=narrative,
            when_text=when,
            where_text=where,
            involved_text=involved,
            witnesses_text=witnesses,
            urgent=urgent,
            anonymous=anonymous,
            reporter_name=name,
            reporter_contact=contact,
            contact_kind=contact_kind(contact, allow_slack=True) if contact else None,
            consent_to_contact=consent,
            relayed_by=handle(relayed_by),
            event_slug=event,
        )
    )
    if received.created:
        receipts.follow_up(received)
    if not received.created:
        print("care: this report was already recorded", file=sys.stderr)
    print(received.code)


def _narrative() -> str:
    text = sys.stdin.read() if not sys.stdin.isatty() else _from_editor()
    text = "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()
    if not text:
        raise InvalidInput("the narrative is empty: write what happened (stdin or $EDITOR)")
    return text


def _from_editor() -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="care-report-", suffix=".txt")
    try:
        with os.fdopen(fd, "w") as handle_:
            handle_.write(EDITOR_HINT)
        subprocess.run([*shlex.split(editor), path], check=True)
        with open(path, encoding="utf-8") as handle_:
            return handle_.read()
    finally:
        os.unlink(path)
