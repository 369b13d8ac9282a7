"""`care incident`, `care conflict`, `care decision`, `care approve`, `care note`: the record
from the command line.

Declaring, answering and adding a note are the members' acts of ``record.acts``; what
follows them (the team channel's notice, waking the runs that wait, an approved erasure)
is carried out by ``adapters.follow_up``, exactly as for the console, Slack and the
Prefect form.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from adapters.follow_up import Done, carry_out
from models import db
from models.db import utcnow
from models.validation import InvalidInput
from policy.refusals import to_you
from policy.signoff import Refusal
from record import audit, readings
from record import decisions as decisions_svc
from record.acts.answer import answer_decision
from record.acts.conflict import declare
from record.acts.follow import FollowUp
from record.acts.form_answer import open_drafts
from record.acts.note import add as add_note
from record.events import get_event
from record.identity import find_member
from record.incidents import get_incident, list_incidents

incident_app = typer.Typer(no_args_is_help=True, help="Incidents.")
conflict_app = typer.Typer(no_args_is_help=True, help="Conflicts of interest.")
decision_app = typer.Typer(no_args_is_help=True, help="Decisions and the texts they send.")
console = Console()


def register(app: typer.Typer) -> None:
    app.add_typer(incident_app, name="incident")
    app.add_typer(conflict_app, name="conflict")
    app.add_typer(decision_app, name="decision")
    app.command("approve")(approve)
    app.command("note")(note)
    app.command("drafts")(drafts)


@incident_app.command("list")
def incident_list(event: str | None = typer.Option(None, help="event slug")) -> None:
    """List incidents by case code (no personal data)."""
    table = Table("code", "status", "urgent", "category", "reported")
    with db.session_scope() as session:
        ev = get_event(session, event) if event else None
        for i in list_incidents(session, event=ev):
            table.add_row(
                i.code,
                i.status,
                "URGENT" if i.urgent else "",
                i.category or "",
                i.reported_at.isoformat(timespec="minutes"),
            )
    console.print(table)


@incident_app.command("show")
def incident_show(code: str, as_: str = typer.Option("operator", "--as", help="who reads")) -> None:
    """Show one incident's whole record, decrypted; the reading is audited."""
    from record.export import incident_markdown

    with db.session_scope() as session:
        incident = get_incident(session, code)
        text = incident_markdown(session, incident)
        audit.record(session, actor=as_, action="incident.show", incident_code=incident.code)
    console.print(text, markup=False, highlight=False)


@conflict_app.command("declare")
def conflict_declare(
    code: str,
    member: str = typer.Option(..., help="the member's handle"),
    reason: str | None = typer.Option(None, help="optional: members need not say why"),
) -> None:
    """Declare a member's conflict of interest on an incident."""
    with db.session_scope() as session:
        result = declare(session, incident_code=code, handle=member, channel="cli", reason=reason)
    if not result.counted:
        raise InvalidInput(f"conflict of {member} on {code} not recorded: {result.refusal}")
    follow_up(result.follow)
    case = result.incident_code
    console.print(f"{result.handle} has a conflict on {case} and steps aside from it")


def follow_up(follow: FollowUp) -> Done:
    """Announce and wake; the act is recorded even if Slack or Prefect cannot be reached."""
    done = carry_out(follow)
    if done.failed:  # the outbox keeps the notice; the host's sweep wakes the run later
        console.print(f"recorded; not done yet: {', '.join(done.failed)}")
    return done


@decision_app.command("show")
def decision_show(
    decision_id: int = typer.Argument(..., help="decision id"),
    member: str = typer.Option(..., help="your handle: you are the one shown the text"),
) -> None:
    """Show a member a decision and its full text; the showing is recorded, so that their
    approval of the text can count."""
    with db.session_scope() as session:
        shown = readings.show_text(session, member=member, decision_id=decision_id)
    st = shown.state
    console.print(f"{st.incident_code or 'team'} decision {st.id} ({st.kind}): {st.status}")
    console.print(st.summary, markup=False, highlight=False)
    console.print(
        f"proposed by {st.proposer or 'CARE'}; {len(st.approvers)}/{st.required} approvals"
    )
    if shown.text:
        console.print("\n" + shown.text, markup=False, highlight=False)


def approve(
    code: str | None = typer.Argument(None, help="case code (not needed with --decision)"),
    member: str = typer.Option(..., help="your handle"),
    totp: str = typer.Option(..., "--code", help="the current code from your authenticator"),
    decision: int | None = typer.Option(None, help="decision id, if several are pending"),
    object_: bool = typer.Option(False, "--object", help="object instead of approving"),
    comment: str | None = typer.Option(None),
) -> None:
    """Approve (or object to) a pending decision of an incident, or any decision by id."""
    submitted_at = utcnow()
    with db.session_scope() as session:
        result = answer_decision(
            session,
            decision_id=_pending_decision(session, code, decision),
            handle=member,
            verdict="object" if object_ else "approve",
            channel="cli",
            code=totp,
            comment=comment,
            submitted_at=submitted_at,
        )
    if not result.counted:
        why = to_you(result.refusal or "refused")
        if result.refusal == Refusal.text_not_read:
            why += f" (or read it with: care decision show {result.state.id} --member {member})"
        raise InvalidInput(f"not counted: {why}")
    done = follow_up(result.follow)
    st = result.state
    console.print(
        f"{st.incident_code or 'decision'} {st.id} ({st.kind}): {st.status}, "
        f"{len(st.approvers)}/{st.required} approvals"
    )
    if done.erased is not None:
        console.print(f"erasure carried out: {done.erased}")


def note(
    code: str,
    member: str = typer.Option(..., help="your handle"),
    text: str | None = typer.Option(None, help="the note; read from stdin if omitted"),
) -> None:
    """Add a note to an incident's record."""
    body = text if text is not None else sys.stdin.read()
    with db.session_scope() as session:
        added = add_note(session, incident_code=code, author=member, body=body)
    follow_up(added.follow)
    console.print(f"note {added.note_id} added to {added.incident_code}")


def _pending_decision(session: Session, code: str | None, decision: int | None) -> int:
    if code is None:
        if decision is None:
            raise InvalidInput("give a case code or --decision")
        return decisions_svc.get_decision(session, decision).id
    incident = get_incident(session, code)
    pending = decisions_svc.pending_decisions(session, incident)
    if decision is not None:
        pending = [d for d in pending if d.id == decision]
    if not pending:
        raise InvalidInput(
            f"{incident.code} has no pending decision" + (f" {decision}" if decision else "")
        )
    if len(pending) > 1:
        ids = ", ".join(str(d.id) for d in pending)
        raise InvalidInput(
            f"{incident.code} has several pending decisions ({ids}): choose one with --decision"
        )
    return pending[0].id


def drafts(member: str = typer.Option(..., help="the member's handle")) -> None:
    """List a member's answers that did not count, kept to finish in the console."""
    from models.settings import get_settings
    from models.tables import Incident

    url = get_settings().public_url
    lines = []
    with db.session_scope() as session:
        found = find_member(session, member)
        if found is None:
            raise InvalidInput(f"no member with the handle {member.strip()[:64]!r}")
        handle = found.handle
        for draft in open_drafts(session, member_id=found.id):
            incident = session.get(Incident, draft.incident_id)
            case = incident.code if incident else "?"
            lines.append(
                f"draft {draft.id} · {case} · your {draft.form} answer: {draft.reason}. "
                f"Finish it at {url}/console/drafts/{draft.id}"
            )
    for line in lines or [f"{handle} has no answers to finish"]:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
