"""After the outcome: tell whoever enacts it, tell the reporter, make a public statement.

Every function is safe to call again: each looks at the record first, and every message
is queued under an idempotency key, so a re-run flow repeats nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, nodes
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.settings import get_settings
from models.tables import AuditEntry, Decision, Incident, Report, ReviewOutcome
from policy.resolutions import NO_ACTION, OTHER, resolution
from policy.signoff import DecisionKind
from record import audit, decisions, outbox
from record.review import ReviewRefused, approved_outcome, refused

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text messages  # noqa: S701
    keep_trailing_newline=True,
)


# -- enacting resolutions ----------------------------------------------------------------
def enact_resolutions(session: Session, incident: Incident) -> list[int]:
    """Tell whoever carries out each resolution: the case code and the action only."""
    outcome = approved_outcome(session, incident)
    queued: list[int] = []
    for key in (outcome.resolutions or []) if outcome else []:
        entry = resolution(key)
        executor = entry.executor
        if executor in (None, "care"):
            continue  # no one to tell, or the CARE team's own conversation carries it out
        contact = get_settings().executor_contacts.get(executor)
        channel, recipient = contact.split(":", 1) if contact else ("slack", _team_channel())
        body = f"CARE {incident.code}: {entry.label}. For the {executor} team."
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
    """Draft the message to a reporter from the template; open its sign-off.

    CARE drafted it, so no member has approved it yet: two members approve it once each
    has been shown the text.
    """
    outcome = approved_outcome(session, incident)
    assert outcome is not None, "the outcome is signed off before the reporter is told"
    return decisions.propose(
        session,
        kind=DecisionKind.reporter_message,
        summary=(
            f"Send the message CARE drafted to the reporter of report {report_id}: "
            "the outcome and the reasoning"
        ),
        proposer=None,
        incident=incident,
        body=draft_reporter_message(incident, outcome),
        payload={"report": report_id},
        idempotency_key=f"inform-{incident.code}-report-{report_id}",
    ).id


def draft_reporter_message(incident: Incident, outcome: ReviewOutcome) -> str:
    actions = [
        resolution(r).label for r in outcome.resolutions or [] if r not in (NO_ACTION, OTHER)
    ]
    if outcome.other_resolution:
        actions.append(outcome.other_resolution)
    return TEMPLATES.get_template("inform_reporter.v1.txt").render(
        code=incident.code, actions=actions, explanation=outcome.reporter_explanation or ""
    )


def template_text() -> list[str]:
    """The fixed text of the message templates, between their fields: CARE's own words."""
    found: list[str] = []
    loader = TEMPLATES.loader
    assert loader is not None
    for name in TEMPLATES.list_templates():
        source, _path, _uptodate = loader.get_source(TEMPLATES, name)
        found += [node.data for node in TEMPLATES.parse(source).find_all(nodes.TemplateData)]
    return found


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
    """Whether to make a public statement is a team decision (majority quorum).

    CARE opens it because the incident happened in public; no member proposed it, so no
    one's approval is counted before they give it.
    """
    return decisions.propose(
        session,
        kind=DecisionKind.public_statement_decision,
        summary=f"Make a public statement about {incident.code} (it happened in public)",
        proposer=None,
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
    channel: str = "ui",
    submitted_at: datetime | None = None,
) -> int:
    """A member's (re)written text for the reporter or the public, opened for sign-off."""
    row, refusal = decisions.check_member(
        session,
        handle=member,
        code=code,
        incident=incident,
        channel=channel,
        submitted_at=submitted_at,
    )
    if refusal is not None or row is None:
        raise refused(row, str(refusal))
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


def statement_path(incident_code: str) -> Path:
    """Where an incident's public statement is published."""
    return get_settings().published / "statements" / f"{incident_code}.md"


def shown_path(path: Path) -> str:
    """A path as the team reads it: from the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def publish_statement(session: Session, incident: Incident, decision_id: int) -> Path:
    """Write the approved statement to the publish directory (once)."""
    decision = decisions.get_decision(session, decision_id)
    target = statement_path(incident.code)
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
