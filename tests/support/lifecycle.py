"""Drive incidents through the lifecycle as members would: Prefect forms and the CLI's path."""

from __future__ import annotations

from sqlalchemy import select

from adapters.follow_up import carry_out
from models import db
from models.tables import AuditEntry, Conversation, Decision, Member
from record import decisions as decisions_svc
from record import readings
from record.acts.answer import answer_decision
from record.incidents import get_incident
from tests.support.codes import Codes
from tests.support.host import answer_form, read_run, wait_for

REVIEW = {
    "what_happened": "Unwelcome remarks at the coffee break",
    "category": "harassment",
    "violation": "yes",
    "bad_actors": "P1",
    "intentional": "yes",
    "severity": "medium",
    "resolve_stop_behaviour": True,
    "resolve_do_not_publish_video": True,
    "reporter_explanation": "The behaviour broke the code of conduct.",
}
NO_VIOLATION = {
    "what_happened": "A misunderstanding about a seat",
    "category": "other",
    "violation": "no",
    "resolve_no_action": True,
    "reporter_explanation": "What happened did not break the code of conduct.",
}
NOTES = "Explained the code of conduct; they agreed to stop."
STATEMENT = "A participant was asked to change their behaviour."


def incident_run(code: str) -> str:
    def run_id() -> str | None:
        with db.session_scope() as session:
            return get_incident(session, code).flow_run_id

    return str(wait_for(run_id))


def pending(code: str, kind: str) -> Decision:
    """Wait for a pending decision of this kind whose sign-off run exists."""

    def find() -> Decision | None:
        with db.session_scope() as session:
            incident = get_incident(session, code)
            for d in decisions_svc.pending_decisions(session, incident):
                if d.kind == kind and d.flow_run_id:
                    return d
        return None

    try:
        found = wait_for(find)
    except AssertionError as exc:
        raise AssertionError(f"no pending {kind} on {code}; last steps: {recent(code)}") from exc
    assert isinstance(found, Decision)
    return found


def recent(code: str, n: int = 10) -> list[str]:
    """The incident's last audit entries (actions and details hold no personal data)."""
    with db.session_scope() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.incident_code == code)
            .order_by(AuditEntry.seq.desc())
            .limit(n)
        ).all()
        return [f"{e.actor} {e.action} {e.detail}" for e in reversed(rows)]


def status(code: str) -> str:
    with db.session_scope() as session:
        return get_incident(session, code).status


def completed(run_id: str) -> bool:
    state = read_run(run_id).state
    return state is not None and state.is_completed()


def approve_cli(decision_id: int, handle: str, codes: Codes) -> None:
    """Approve as `care approve` does: the act counts it, its follow-up wakes the sign-off."""
    with db.session_scope() as session:
        result = answer_decision(
            session,
            decision_id=decision_id,
            handle=handle,
            verdict="approve",
            channel="cli",
            code=codes(handle),
        )
    assert result.counted, result.refusal
    carry_out(result.follow)


def read_and_approve(decision_id: int, handle: str, codes: Codes) -> None:
    """Read a text as `care decision show` shows it, then approve it: nobody approves
    what they did not see."""
    with db.session_scope() as session:
        shown = readings.show_text(session, member=handle, decision_id=decision_id)
    assert shown.text, f"decision {decision_id} has no text to read"
    approve_cli(decision_id, handle, codes)


def conversation_holder(code: str) -> str:
    def first() -> str | None:
        with db.session_scope() as session:
            incident = get_incident(session, code)
            conv = session.scalars(
                select(Conversation).where(Conversation.incident_id == incident.id)
            ).first()
            member = session.get(Member, conv.member_a_id) if conv else None
            return member.handle if member else None

    return str(wait_for(first))


def whole_lifecycle(code: str, codes: Codes) -> None:
    """Review, sign-off, conversation, reporter message, public statement, close."""
    run_id = incident_run(code)
    answer_form(
        run_id,
        {"reviewer": "ana", "code": codes.later("ana"), **REVIEW, "happened_in_public": True},
    )
    review = pending(code, "review_outcome")
    answer_form(
        review.flow_run_id or "",
        {"member": "ben", "verdict": "approve", "code": codes.later("ben"), "comment": "agreed"},
    )
    holder = conversation_holder(code)
    answer_form(
        run_id, {"member": holder, "code": codes.later(holder), "notes": NOTES, "held": True}
    )
    message = pending(code, "reporter_message").id  # CARE drafted it: two members read it
    for handle in ("chloe", "ben"):
        read_and_approve(message, handle, codes)
    statement = pending(code, "public_statement_decision")
    for handle in ("ana", "ben", "chloe"):  # a team decision CARE opened: 3 of 5 members
        approve_cli(statement.id, handle, codes)
    answer_form(run_id, {"member": "dev", "code": codes.later("dev"), "text": STATEMENT})
    text = pending(code, "public_statement_text")
    for handle in ("eve", "ana"):  # dev wrote it and counts as one
        read_and_approve(text.id, handle, codes)
    wait_for(lambda: completed(run_id))


def quick_lifecycle(code: str, codes: Codes, reviewer: str = "ana", second: str = "ben") -> None:
    """No violation: review, sign-off, the reporter's message, close."""
    run_id = incident_run(code)
    answer_form(run_id, {"reviewer": reviewer, "code": codes.later(reviewer), **NO_VIOLATION})
    approve_cli(pending(code, "review_outcome").id, second, codes)
    message = pending(code, "reporter_message").id
    for handle in (reviewer, second):
        read_and_approve(message, handle, codes)
    wait_for(lambda: completed(run_id))
