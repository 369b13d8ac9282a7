"""`care incident`, `care conflict` and `care approve`: the record from the command line."""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from models import db
from models.validation import InvalidInput
from record import audit
from record import decisions as decisions_svc
from record.events import get_event
from record.incidents import declare_conflict, get_incident, list_incidents

incident_app = typer.Typer(no_args_is_help=True, help="Incidents.")
conflict_app = typer.Typer(no_args_is_help=True, help="Conflicts of interest.")
console = Console()


def register(app: typer.Typer) -> None:
    app.add_typer(incident_app, name="incident")
    app.add_typer(conflict_app, name="conflict")
    app.command("approve")(approve)


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
        incident = get_incident(session, code)
        declare_conflict(session, incident, member, reason=reason)
    from adapters.prefect_api import wake_open_signoffs  # imports Prefect: only when needed

    _wake(lambda: wake_open_signoffs(incident.code))
    console.print(f"{member} has a conflict on {code} and steps aside from it")


def _wake(call: Callable[[], object]) -> None:
    """Wake the waiting flow; the answer is recorded even if Prefect cannot be reached."""
    try:
        call()
    except Exception as exc:  # the host's sweep wakes it later
        console.print(f"recorded; the waiting flow could not be woken now ({type(exc).__name__})")


def approve(
    code: str | None = typer.Argument(None, help="case code (not needed with --decision)"),
    member: str = typer.Option(..., help="your handle"),
    totp: str = typer.Option(..., "--code", help="the current code from your authenticator"),
    decision: int | None = typer.Option(None, help="decision id, if several are pending"),
    object_: bool = typer.Option(False, "--object", help="object instead of approving"),
    comment: str | None = typer.Option(None),
) -> None:
    """Approve (or object to) a pending decision of an incident, or any decision by id."""
    from record.erasure import execute as execute_erasure

    with db.session_scope() as session:
        decision_id = _pending_decision(session, code, decision)
        result = decisions_svc.answer(
            session,
            decision_id=decision_id,
            handle=member,
            verdict="object" if object_ else "approve",
            channel="cli",
            code=totp,
            comment=comment,
        )
        erased = None
        if result.counted and result.state.kind == "erasure":
            erased = execute_erasure(session, decision_id, actor=member)
    if not result.counted:
        raise InvalidInput(f"not counted: {result.refusal}")
    from adapters.prefect_api import wake_decision

    _wake(lambda: wake_decision(result.state.id))
    st = result.state
    console.print(
        f"{st.incident_code or 'decision'} {st.id} ({st.kind}): {st.status}, "
        f"{len(st.approvers)}/{st.required} approvals"
    )
    if erased is not None:
        console.print(f"erasure carried out: {dict(erased)}")


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
