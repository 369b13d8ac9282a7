"""The `care` command: set up the team, read the record, check the audit trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from care_cli import (
    ack,
    aftercare,
    backup,
    errors,
    intake,
    keys,
    lifecycle,
    outbox,
    parties,
    records,
    status,
)
from models import db, migrate
from models.validation import InvalidInput, iso_date
from record import audit
from record import members as members_svc
from record.audit_anchor import Anchor
from record.events import add_event, get_event, list_events

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
event_app = typer.Typer(no_args_is_help=True, help="Conference editions.")
member_app = typer.Typer(no_args_is_help=True, help="CARE team members.")
oncall_app = typer.Typer(no_args_is_help=True, help="On-call shifts.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail.")
app.add_typer(event_app, name="event")
app.add_typer(member_app, name="member")
app.add_typer(oncall_app, name="oncall")
app.add_typer(audit_app, name="audit")
app.add_typer(keys.app, name="key")
records.register(app)
lifecycle.register(app)
intake.register(app)
aftercare.register(app)
backup.register(app)
parties.register(app)
app.command("ack")(ack.ack)
app.command("outbox")(outbox.show)
app.command("status")(status.status)
console = Console()


@app.command()
def init() -> None:
    """Create or upgrade CARE's database."""
    migrate.upgrade()
    console.print(f"database ready: {db.engine().url.render_as_string(hide_password=True)}")


@event_app.command("add")
def event_add(
    slug: str,
    name: str = typer.Option(..., help="e.g. 'DjangoCon Europe 2026'"),
    code_prefix: str = typer.Option(..., "--code-prefix", help="case code prefix, e.g. DCE26"),
    starts: str = typer.Option(..., help="first day, YYYY-MM-DD"),
    ends: str = typer.Option(..., help="last day, YYYY-MM-DD"),
    timezone: str = typer.Option(..., help="e.g. Europe/Dublin"),
    series: str | None = typer.Option(None, help="series slug, e.g. djangocon-europe"),
    attendees: int | None = typer.Option(None, help="event size, for the transparency report"),
) -> None:
    """Add a conference edition."""
    with db.session_scope() as session:
        event = add_event(
            session,
            slug_=slug,
            name=name,
            code_prefix=code_prefix,
            starts_on=iso_date(starts),
            ends_on=iso_date(ends),
            timezone_=timezone,
            series=series,
            attendees=attendees,
        )
        console.print(f"event {event.slug} added (cases {event.code_prefix}-N)")


@event_app.command("list")
def event_list() -> None:
    """List the conference editions."""
    table = Table("slug", "name", "codes", "from", "to", "time zone")
    with db.session_scope() as session:
        for e in list_events(session):
            table.add_row(
                e.slug, e.name, e.code_prefix, str(e.starts_on), str(e.ends_on), e.timezone
            )
    console.print(table)


@member_app.command("add")
def member_add(
    handle: str,
    name: str = typer.Option(..., help="display name"),
    phone: str | None = typer.Option(None, help="E.164, e.g. +353851234567"),
    email: str | None = typer.Option(None),
    slack_user_id: str | None = typer.Option(None, "--slack"),
) -> None:
    """Add a team member."""
    with db.session_scope() as session:
        member = members_svc.add_member(
            session,
            handle_=handle,
            display_name=name,
            phone=phone,
            email=email,
            slack_user_id=slack_user_id,
        )
        console.print(
            f"member {member.handle} added; enrol their code: care member enroll {member.handle}"
        )


@member_app.command("list")
def member_list() -> None:
    """List the team (names decrypted for the operator)."""
    table = Table("handle", "name", "phone", "e-mail", "slack", "active", "code")
    with db.session_scope() as session:
        for m in members_svc.list_members(session):
            table.add_row(
                m.handle,
                m.display_name,
                m.phone or "",
                m.email or "",
                m.slack_user_id or "",
                "yes" if m.active else "no",
                "enrolled" if m.totp_secret else "-",
            )
        audit.record(session, actor="operator", action="member.list")
    console.print(table)


@member_app.command("enroll")
def member_enroll(handle: str) -> None:
    """Give a member a new TOTP secret: prints the otpauth URI and a QR code."""
    import segno

    with db.session_scope() as session:
        _secret, uri = members_svc.enroll(session, handle)
    segno.make(uri, error="m").terminal(compact=True)
    console.print(f"scan the code above, or add this URI to an authenticator app:\n{uri}")


@member_app.command("deactivate")
def member_deactivate(handle: str) -> None:
    """Deactivate a member: their approvals stop counting at once."""
    with db.session_scope() as session:
        members_svc.deactivate(session, handle)
    console.print(f"member {handle} deactivated")


@oncall_app.command("set")
def oncall_set(
    event: str,
    handle: str,
    tier: str = typer.Option(..., help="primary or secondary"),
    starts: str = typer.Option(..., help="ISO time, e.g. 2026-06-01T08:00+02:00"),
    ends: str = typer.Option(...),
) -> None:
    """Put a member on call for an event."""
    with db.session_scope() as session:
        ev = get_event(session, event)
        members_svc.set_oncall(
            session,
            event=ev,
            handle_=handle,
            tier=tier,
            starts_at=_instant(starts, ev.timezone),
            ends_at=_instant(ends, ev.timezone),
        )
    console.print(f"{handle} is {tier} on call for {event}")


@oncall_app.command("show")
def oncall_show(event: str) -> None:
    """Show an event's on-call shifts."""
    table = Table("member", "tier", "from", "to")
    with db.session_scope() as session:
        ev = get_event(session, event)
        for s in members_svc.shifts(session, ev):
            table.add_row(s.member.handle, s.tier, s.starts_at.isoformat(), s.ends_at.isoformat())
    console.print(table)


@audit_app.command("verify")
def audit_verify(
    checkpoints: list[str] = typer.Option(
        [],
        "--checkpoint",
        help="ENTRIES:HEAD as posted to the team channel; the trail must still hold it",
    ),
) -> None:
    """Check the audit trail's hash chain and its anchors; exit 1 naming every broken entry."""
    anchors = [_anchor(raw) for raw in checkpoints]
    with db.session_scope() as session:
        verdict = audit.verify(session, anchors)
    if not verdict.ok:
        problems = "".join(f"\n  {broken.problem}" for broken in verdict.breaks)
        errors.fail(f"audit trail broken, {len(verdict.breaks)} problem(s):{problems}", code=1)
    console.print(f"audit trail intact: {verdict.entries} entries, head {verdict.head[:16]}")


def _anchor(raw: str) -> Anchor:
    seq, _, head = raw.partition(":")
    if not seq.isdigit() or int(seq) < 1 or not re.fullmatch(r"[0-9a-fA-F]{8,64}", head):
        raise InvalidInput("a checkpoint is ENTRIES:HEAD, e.g. 1234:3fa2b1c4d5e6f708")
    return Anchor(int(seq), head.lower(), f"the checkpoint {int(seq)}:{head[:16]}")


@audit_app.command("checkpoint")
def audit_checkpoint(
    reset: bool = typer.Option(
        False, help="after restoring a backup on purpose: anchor the trail as it now is"
    ),
) -> None:
    """Anchor the audit trail's head in the data directory and post it to the team channel."""
    from tasks.audit import ResetRefused, checkpoint

    try:
        head = checkpoint(reset=reset, actor="operator")
    except ResetRefused as exc:
        errors.fail(str(exc), code=1)
    if not head.ok:
        errors.fail(f"audit trail broken ({head.breaks} problem(s)): run care audit verify", code=1)
    shown = f"{head.entries} entries, head {head.head[:16]}"
    console.print(f"audit checkpoint: {shown}; team channel: {head.posted}")


def _instant(raw: str, tz: str) -> datetime:
    from zoneinfo import ZoneInfo

    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InvalidInput(f"not a time in ISO form (2026-06-01T08:00): {raw!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def main() -> None:
    from models.settings import point_prefect_at_care

    point_prefect_at_care()
    errors.run_cli(app)


if __name__ == "__main__":
    main()
