"""The record's side of a sign-off: read a decision's state, count one member's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from prefect import task
from pydantic import BaseModel

from models import db
from models.answers import SignoffAnswer
from models.tables import Approval
from policy.refusals import not_counted
from policy.signoff import DecisionStatus
from record import decisions as decisions_svc
from record.acts.answer import Answered, answer_decision


class SignoffView(BaseModel):
    """What a sign-off form may show: codes, handles and catalogue terms only."""

    decision_id: int
    kind: str
    status: DecisionStatus
    incident_code: str | None
    summary: str
    proposer: str | None
    approvers: list[str]
    eligible: list[str]
    required: int
    flow_run_id: str | None
    last_refusal: str | None = None  # the sentence a member reads: whose answer, and why
    last_counted: str | None = None  # the handle whose approval was the last answer


def read_signoff(decision_id: int) -> SignoffView:
    """The decision as the sign-off step sees it now."""
    with db.session_scope() as session:
        decision = decisions_svc.get_decision(session, decision_id)
        st = decisions_svc.state(session, decision)
        refused = [a for a in decision.approvals if not a.counted]
        last: Approval | None = refused[-1] if refused else None
        newest = decision.approvals[-1] if decision.approvals else None
        return SignoffView(
            decision_id=st.id,
            kind=st.kind,
            status=st.status,
            incident_code=st.incident_code,
            summary=st.summary,
            proposer=st.proposer,
            approvers=st.approvers,
            eligible=st.eligible,
            required=st.required,
            flow_run_id=decision.flow_run_id,
            last_refusal=(
                not_counted(last.claimed_handle or "a member", last.refusal or "refused")
                if last and last is newest
                else None
            ),
            last_counted=newest.claimed_handle if newest and newest.counted else None,
        )


@task(task_run_name="count-answer-d{decision_id}")
def count_answer(
    decision_id: int, answer: SignoffAnswer, submitted_at: datetime | None = None
) -> Answered:
    """Count one answer given in the Prefect UI (its code as of when it was submitted)."""
    verdict: Literal["approve", "object"] = "object" if answer.verdict == "object" else "approve"
    with db.session_scope() as session:
        return answer_decision(
            session,
            decision_id=decision_id,
            handle=answer.member,
            verdict=verdict,
            channel="ui",
            code=answer.code,
            comment=answer.comment or None,
            submitted_at=submitted_at,
        )


def set_signoff_run(decision_id: int, flow_run_id: str) -> None:
    """Remember which run collects this decision's sign-off."""
    with db.session_scope() as session:
        decisions_svc.get_decision(session, decision_id).flow_run_id = flow_run_id
