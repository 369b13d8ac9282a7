"""What waits on whom, read from the record: each open incident's current steps.

The record alone says where an incident stands (its review stage, its open conversations,
its pending decisions, a text objected to, an urgent case nobody acknowledged), so the
console, the team channel and the CLI see the same steps whether or not a run is paused.
The rule of who a step waits on is ``policy.waiting``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.settings import get_settings
from models.tables import Conversation, Decision, Incident, Member, Party
from policy.members import MemberView
from policy.signoff import DecisionKind, DecisionStatus
from policy.status import IncidentStatus
from policy.waiting import OpenStep, StepKind, line, step_name, waiting_on, waits_on
from record import decisions
from record.incidents import conflicted_handles
from record.members import member_views
from record.outcomes import latest_decision, reporter_reports
from record.review import review_stage

K = StepKind
SIGNOFF_LABELS = {
    DecisionKind.review_outcome: "review outcome",
    DecisionKind.reporter_message: "message to the reporter",
    DecisionKind.public_statement_decision: "decision whether to make a public statement",
    DecisionKind.public_statement_text: "text of the public statement",
    DecisionKind.unilateral_action_review: "review of an action taken alone",
    DecisionKind.conflict_waiver: "conflict waiver",
    DecisionKind.erasure: "erasure of personal data",
    DecisionKind.transparency_report: "transparency report",
}
OPEN_TEXT = (DecisionStatus.objected, DecisionStatus.withdrawn)


@dataclass(frozen=True)
class Step:
    """An open step as the record knows it: the rule's view, its pause step and its run."""

    open: OpenStep
    name: str | None  # the lifecycle's pause step (``review-demo-1-1``), if it has one
    run_id: str | None


@dataclass(frozen=True)
class WaitingItem:
    """One step waiting on a member, with where to answer it."""

    kind: StepKind
    incident_code: str | None
    line: str
    link: str  # the console page, relative to the public URL
    run_url: str | None  # the run in the Prefect UI, if known
    decision_id: int | None = None
    conversation_id: int | None = None


def open_steps(session: Session, incident: Incident) -> list[Step]:
    """The steps of one incident that wait on people now (none once it is closed)."""
    if incident.status == IncidentStatus.closed or incident.closed_at is not None:
        return []
    conflicted = frozenset(conflicted_handles(session, incident.id))
    run = incident.flow_run_id
    steps: list[Step] = []
    if incident.urgent and incident.first_responder_id is None:
        urgent = OpenStep(K.urgent, incident.code, "urgent case", conflicted=conflicted)
        steps.append(Step(urgent, None, incident.escalation_flow_run_id))
    stage = review_stage(session, incident)
    if stage.step == "review":
        label = f"review, round {stage.round}"
        review = OpenStep(K.review, incident.code, label, conflicted=conflicted)
        steps.append(Step(review, step_name(K.review, incident.code, stage.round), run))
    elif stage.step == "gather":
        label = f"findings, round {stage.round}"
        gather = OpenStep(K.findings, incident.code, label, conflicted=conflicted)
        steps.append(Step(gather, step_name(K.findings, incident.code, stage.round), run))
    steps += _conversations(session, incident, conflicted)
    steps += _texts(session, incident, conflicted)
    steps += [_signoff(session, d) for d in decisions.pending_decisions(session, incident)]
    return steps


def _conversations(session: Session, incident: Incident, conflicted: frozenset[str]) -> list[Step]:
    query = select(Conversation).where(
        Conversation.incident_id == incident.id, Conversation.status == "open"
    )
    steps = []
    for conv in session.scalars(query.order_by(Conversation.id)):
        party = session.get(Party, conv.party_id) if conv.party_id else None
        held_by = session.scalars(
            select(Member.handle).where(Member.id.in_((conv.member_a_id, conv.member_b_id)))
        )
        label = f"conversation with {party.pseudonym if party else 'a party'}"
        found = OpenStep(
            K.conversation,
            incident.code,
            label,
            assigned=frozenset(held_by),
            conflicted=conflicted,
            ref=conv.id,
        )
        name = step_name(K.conversation, incident.code, conv.id)
        steps.append(Step(found, name, incident.flow_run_id))
    return steps


def _texts(session: Session, incident: Incident, conflicted: frozenset[str]) -> list[Step]:
    """A message to a reporter or a public statement that a member must (re)write."""
    steps = []

    def add(label: str, report_id: int | None, latest: Decision | None) -> None:
        step = OpenStep(K.text, incident.code, label, conflicted=conflicted)
        round_ = f"{report_id or 0}-{latest.id if latest else 0}"
        steps.append(Step(step, step_name(K.text, incident.code, round_), incident.flow_run_id))

    if incident.status == IncidentStatus.informing_reporter:
        for report_id in reporter_reports(session, incident)[0]:
            latest = latest_decision(
                session, incident, DecisionKind.reporter_message, report_id=report_id
            )
            if latest is not None and latest.status in OPEN_TEXT:
                add(f"message to the reporter of report {report_id}", report_id, latest)
    if incident.status == IncidentStatus.public_statement:
        decided = latest_decision(session, incident, DecisionKind.public_statement_decision)
        text = latest_decision(session, incident, DecisionKind.public_statement_text)
        approved = decided is not None and decided.status == DecisionStatus.approved
        if approved and (text is None or text.status in OPEN_TEXT):
            add("public statement", None, text)
    return steps


def _signoff(session: Session, decision: Decision) -> Step:
    shown = decisions.state(session, decision)
    label = SIGNOFF_LABELS.get(DecisionKind(decision.kind), decision.kind.replace("_", " "))
    step = OpenStep(
        K.signoff,
        shown.incident_code,
        label,
        conflicted=frozenset(decisions.conflicted_on(session, decision)),
        done_by=frozenset(shown.approvers),
        approvals=len(shown.approvers),
        required=shown.required,
        ref=decision.id,
    )
    return Step(step, None, decision.flow_run_id)


def all_open_steps(session: Session) -> list[Step]:
    """Every open step of every open incident, and the team's own pending decisions."""
    steps: list[Step] = []
    for incident in session.scalars(
        select(Incident).where(Incident.closed_at.is_(None)).order_by(Incident.id)
    ):
        steps += open_steps(session, incident)
    team_wide = select(Decision).where(
        Decision.incident_id.is_(None), Decision.status == DecisionStatus.pending
    )
    steps += [_signoff(session, d) for d in session.scalars(team_wide.order_by(Decision.id))]
    return steps


def _item(step: Step) -> WaitingItem:
    open_, code = step.open, step.open.incident_code
    if code is None:
        link = f"/console/#decision-{open_.ref}"
    elif open_.kind is K.signoff:
        link = f"/console/incidents/{code}#decision-{open_.ref}"
    elif open_.kind is K.conversation:
        link = f"/console/incidents/{code}#conversation-{open_.ref}"
    else:
        link = f"/console/incidents/{code}"
    return WaitingItem(
        kind=open_.kind,
        incident_code=code,
        line=line(open_),
        link=link,
        run_url=run_url(step.run_id),
        decision_id=open_.ref if open_.kind is K.signoff else None,
        conversation_id=open_.ref if open_.kind is K.conversation else None,
    )


def run_url(run_id: str | None) -> str | None:
    """The run in the Prefect UI."""
    if not run_id:
        return None
    return f"{get_settings().prefect_ui_url.rstrip('/')}/runs/flow-run/{run_id}"


def waiting_for(session: Session, *, handle: str) -> list[WaitingItem]:
    """Every step waiting on this member: urgent cases first, then in the process's order."""
    steps = all_open_steps(session)
    by_open = {id(s.open): s for s in steps}
    mine = waiting_on([s.open for s in steps], member=handle, members=member_views(session))
    return [_item(by_open[id(o)]) for o in mine]


@dataclass(frozen=True)
class Announced:
    """A step as the team channel hears of it: no names, only how many it waits on."""

    step: OpenStep
    waiting: int
    run_id: str | None


def find_step(session: Session, incident: Incident, name: str) -> Announced | None:
    """The incident's open step paused as ``name``, and how many members it waits on."""
    members: dict[str, MemberView] = member_views(session)
    for step in open_steps(session, incident):
        if step.name == name:
            return Announced(step.open, len(waits_on(step.open, members)), step.run_id)
    return None


def next_step(session: Session, incident: Incident) -> str | None:
    """What the incident waits for next, in words (``sign-off of the review outcome``)."""
    for step in open_steps(session, incident):
        if step.open.kind is K.signoff:
            return f"sign-off of the {step.open.label}"
        if step.open.kind is not K.urgent:
            return step.open.label
    return None
