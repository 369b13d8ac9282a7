"""After the review: conversations, enacting resolutions, telling the reporter, statements.

Every function is safe to call again: each looks at the record first, and every message
is queued under an idempotency key, so a re-run flow repeats nothing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit, decisions, outbox
from models.db import utcnow
from models.incidents import add_note, conflicted_handles
from models.members import member_views
from models.policy.conversations import choose_conversation_pair
from models.policy.resolutions import RESOLUTION_EXECUTOR, RESOLUTION_LABELS, Resolution
from models.policy.signoff import DecisionKind
from models.review import ReviewRefused, approved_outcome
from models.settings import get_settings
from models.tables import (
    AuditEntry,
    Conversation,
    Decision,
    Incident,
    Member,
    Party,
    Report,
    ReviewOutcome,
    UnilateralAction,
)

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text messages  # noqa: S701
    keep_trailing_newline=True,
)
REVIEW_WITHIN = timedelta(hours=24)


# -- conversations -----------------------------------------------------------------------
def plan_conversations(session: Session, incident: Incident) -> list[int]:
    """Assign two members to talk with each bad actor; return the open conversations."""
    outcome = approved_outcome(session, incident)
    if outcome is not None and outcome.violation == "yes":
        for pseudonym in outcome.bad_actors or []:
            _assign(session, incident, pseudonym)
    query = select(Conversation.id).where(
        Conversation.incident_id == incident.id, Conversation.status == "open"
    )
    return list(session.scalars(query.order_by(Conversation.id)))


def _assign(session: Session, incident: Incident, pseudonym: str) -> None:
    party = session.scalar(
        select(Party).where(Party.incident_id == incident.id, Party.pseudonym == pseudonym)
    )
    if party is None or session.scalar(
        select(Conversation.id).where(Conversation.party_id == party.id)
    ):
        return
    busy: dict[str, int] = {}
    for conv in session.scalars(select(Conversation).where(Conversation.status == "open")):
        for member_id in (conv.member_a_id, conv.member_b_id):
            handle = session.get(Member, member_id)
            if handle is not None:
                busy[handle.handle] = busy.get(handle.handle, 0) + 1
    first, second = choose_conversation_pair(
        members=member_views(session),
        conflicted=conflicted_handles(session, incident.id),
        busy=busy,
    )
    ids = {m.handle: m.id for m in session.scalars(select(Member))}
    conv = Conversation(
        incident_id=incident.id, party_id=party.id, member_a_id=ids[first], member_b_id=ids[second]
    )
    session.add(conv)
    session.flush()
    audit.record(
        session,
        actor="care",
        action="conversation.assign",
        incident_code=incident.code,
        conversation=conv.id,
        party=pseudonym,
        members=[first, second],
    )


def conversation_members(session: Session, conversation_id: int) -> tuple[str, str, str]:
    """The two members holding a conversation and the party's pseudonym."""
    conv = session.get(Conversation, conversation_id)
    assert conv is not None
    a, b = session.get(Member, conv.member_a_id), session.get(Member, conv.member_b_id)
    party = session.get(Party, conv.party_id) if conv.party_id else None
    assert a is not None and b is not None
    return a.handle, b.handle, party.pseudonym if party else "-"


def record_conversation(
    session: Session,
    incident: Incident,
    *,
    conversation_id: int,
    member: str,
    code: str,
    notes: str,
    held: bool,
) -> None:
    """Add a conversation's notes to the record; mark it held when it took place."""
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.incident_id != incident.id:
        raise ReviewRefused(f"no conversation {conversation_id} on {incident.code}")
    row, refusal = decisions.check_member(
        session, handle=member, code=code, incident=incident, channel="ui"
    )
    if refusal is not None or row is None or row.id not in (conv.member_a_id, conv.member_b_id):
        raise ReviewRefused(f"{member} does not hold conversation {conversation_id}: {refusal}")
    if notes.strip():
        add_note(session, incident, author=row.handle, body=notes, conversation_id=conv.id)
    if held:
        conv.status, conv.done_at = "done", utcnow()
        audit.record(
            session,
            actor=row.handle,
            action="conversation.held",
            incident_code=incident.code,
            conversation=conv.id,
        )


# -- enacting resolutions ----------------------------------------------------------------
def enact_resolutions(session: Session, incident: Incident) -> list[int]:
    """Tell whoever carries out each resolution: the case code and the action only."""
    outcome = approved_outcome(session, incident)
    queued: list[int] = []
    for key in (outcome.resolutions or []) if outcome else []:
        executor = RESOLUTION_EXECUTOR[Resolution(key)]
        if executor in (None, "care"):
            continue  # no one to tell, or the CARE team's own conversation carries it out
        contact = get_settings().executor_contacts.get(executor)
        channel, recipient = contact.split(":", 1) if contact else ("slack", _team_channel())
        body = (
            f"CARE {incident.code}: {RESOLUTION_LABELS[Resolution(key)]}. For the {executor} team."
        )
        message, _ = outbox.queue(
            session,
            channel=channel,
            purpose=f"enact.{executor}",
            recipient=recipient,
            subject=f"CARE {incident.code}: action for the {executor} team",
            body=body,
            idempotency_key=f"enact-{incident.code}-{key}",
            incident=incident,
        )
        queued.append(message.id)
    return queued


def _team_channel() -> str:
    return get_settings().slack_team_channel or "care-team"


# -- informing the reporter --------------------------------------------------------------
def reporter_reports(session: Session, incident: Incident) -> tuple[list[int], list[int]]:
    """Reports whose reporter can be told the outcome, and those that cannot (anonymous...)."""
    reachable: list[int] = []
    skipped: list[int] = []
    for report in session.scalars(select(Report).where(Report.incident_id == incident.id)):
        ok = report.reporter_contact and report.consent_to_contact and not report.anonymous
        (reachable if ok else skipped).append(report.id)
    return reachable, skipped


def record_inform_skipped(session: Session, incident: Incident, report_id: int) -> None:
    """Record once that a reporter was not told (anonymous, no contact, or no consent)."""
    done = session.scalar(
        select(AuditEntry.seq).where(
            AuditEntry.incident_code == incident.code,
            AuditEntry.action == "reporter.inform.skipped",
            AuditEntry.detail.contains(f'"report":{report_id}'),
        )
    )
    if done is None:
        report = session.get(Report, report_id)
        reason = "anonymous" if report and report.anonymous else "no contact or no consent"
        audit.record(
            session,
            actor="care",
            action="reporter.inform.skipped",
            incident_code=incident.code,
            report=report_id,
            reason=reason,
        )


def propose_reporter_message(session: Session, incident: Incident, report_id: int) -> int:
    """Draft the message to a reporter from the template; open its sign-off."""
    outcome = approved_outcome(session, incident)
    assert outcome is not None, "the outcome is signed off before the reporter is told"
    proposer = session.get(Member, outcome.reviewer_id) if outcome.reviewer_id else None
    return decisions.propose(
        session,
        kind=DecisionKind.reporter_message,
        summary=f"Tell the reporter of report {report_id} the outcome and the reasoning",
        proposer=proposer.handle if proposer else None,
        incident=incident,
        body=draft_reporter_message(incident, outcome),
        payload={"report": report_id},
        idempotency_key=f"inform-{incident.code}-report-{report_id}",
    ).id


def draft_reporter_message(incident: Incident, outcome: ReviewOutcome) -> str:
    actions = [
        RESOLUTION_LABELS[Resolution(r)]
        for r in outcome.resolutions or []
        if r not in (Resolution.no_action, Resolution.other)
    ]
    if outcome.other_resolution:
        actions.append(outcome.other_resolution)
    return TEMPLATES.get_template("inform_reporter.v1.txt").render(
        code=incident.code, actions=actions, explanation=outcome.reporter_explanation or ""
    )


def queue_reporter_message(session: Session, incident: Incident, decision_id: int) -> int:
    """Queue the signed-off message on the reporter's own channel; return the message id."""
    decision = decisions.get_decision(session, decision_id)
    payload = decision.payload or {}
    report = session.get(Report, int(payload["report"]))
    assert report is not None and report.reporter_contact and decision.body
    channel = {"email": "email", "slack": "slack", "phone": "sms"}[report.contact_kind or "email"]
    meta = {"in_reply_to": report.thread_ref} if report.thread_ref else None
    message, _ = outbox.queue(
        session,
        channel=channel,
        purpose="inform_reporter",
        recipient=report.reporter_contact,
        subject=f"Your report to the CARE team ({incident.code})",
        body=decision.body,
        meta=meta,
        idempotency_key=f"inform-send-{report.id}",
        incident=incident,
    )
    return message.id


# -- public statements -------------------------------------------------------------------
def propose_statement_decision(session: Session, incident: Incident) -> int:
    """Whether to make a public statement is a team decision (majority quorum)."""
    outcome = approved_outcome(session, incident)
    proposer = session.get(Member, outcome.reviewer_id) if outcome and outcome.reviewer_id else None
    return decisions.propose(
        session,
        kind=DecisionKind.public_statement_decision,
        summary=f"Make a public statement about {incident.code} (it happened in public)",
        proposer=proposer.handle if proposer else None,
        incident=incident,
        idempotency_key=f"public-{incident.code}",
    ).id


def latest_decision(
    session: Session, incident: Incident, kind: DecisionKind, *, report_id: int | None = None
) -> Decision | None:
    """The newest decision of a kind on an incident (for one report, if given)."""
    query = select(Decision).where(Decision.incident_id == incident.id, Decision.kind == kind.value)
    for decision in session.scalars(query.order_by(Decision.id.desc())):
        if report_id is None or (decision.payload or {}).get("report") == report_id:
            return decision
    return None


def propose_text(
    session: Session,
    incident: Incident,
    *,
    kind: DecisionKind,
    member: str,
    code: str,
    text: str,
    report_id: int | None = None,
) -> int:
    """A member's (re)written text for the reporter or the public, opened for sign-off."""
    row, refusal = decisions.check_member(
        session, handle=member, code=code, incident=incident, channel="ui"
    )
    if refusal is not None or row is None:
        raise ReviewRefused(f"{member} may not propose this text on {incident.code}: {refusal}")
    if not text.strip():
        raise ReviewRefused("write the text")
    what = "message to the reporter" if kind is DecisionKind.reporter_message else "statement"
    return decisions.propose(
        session,
        kind=kind,
        summary=f"Send this {what} about {incident.code}",
        proposer=row.handle,
        incident=incident,
        body=text,
        payload={"report": report_id} if report_id is not None else None,
    ).id


def publish_statement(session: Session, incident: Incident, decision_id: int) -> Path:
    """Write the approved statement to the publish directory (once)."""
    decision = decisions.get_decision(session, decision_id)
    target = get_settings().published / "statements" / f"{incident.code}.md"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((decision.body or "").strip() + "\n", encoding="utf-8")
        audit.record(
            session,
            actor="care",
            action="statement.publish",
            incident_code=incident.code,
            decision=decision_id,
        )
    return target


# -- unilateral actions ------------------------------------------------------------------
def record_unilateral_action(
    session: Session,
    incident: Incident,
    *,
    member: str,
    code: str | None,
    action: str,
    channel: str = "cli",
) -> UnilateralAction:
    """A member acted alone because someone's safety needed it: record it, open its review."""
    row, refusal = decisions.check_member(
        session, handle=member, code=code, incident=incident, channel=channel
    )
    if refusal is not None or row is None:
        raise ReviewRefused(f"{member} may not act on {incident.code}: {refusal}")
    if not action.strip():
        raise ReviewRefused("describe the action taken")
    now = utcnow()
    taken = UnilateralAction(
        incident_id=incident.id,
        member_id=row.id,
        action=action,
        taken_at=now,
        review_due_at=now + REVIEW_WITHIN,
    )
    session.add(taken)
    session.flush()
    taken.review_decision_id = decisions.propose(
        session,
        kind=DecisionKind.unilateral_action_review,
        summary=f"Review the immediate action {row.handle} took alone on {incident.code}",
        proposer=None,
        incident=incident,
        payload={"unilateral_action": taken.id},
        idempotency_key=f"unilateral-{taken.id}",
    ).id
    audit.record(
        session,
        actor=row.handle,
        action="unilateral.record",
        incident_code=incident.code,
        unilateral_action=taken.id,
        flagged="unilateral",
    )
    return taken


def open_unilateral_reviews(session: Session, incident: Incident | None = None) -> list[int]:
    """Decisions reviewing unilateral actions that are still pending."""
    query = (
        select(UnilateralAction.review_decision_id)
        .join(Decision, Decision.id == UnilateralAction.review_decision_id)
        .where(Decision.status == "pending")
    )
    if incident is not None:
        query = query.where(UnilateralAction.incident_id == incident.id)
    return [d for d in session.scalars(query) if d is not None]
