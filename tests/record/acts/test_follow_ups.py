"""What each act asks to follow it: announce counted answers, wake only runs that wait."""

from __future__ import annotations

from models import db
from policy.signoff import DecisionKind
from record.acts.acknowledge import take_urgent_case
from record.acts.act_alone import act_alone
from record.acts.answer import answer_decision
from record.acts.conflict import declare
from record.acts.follow import ApprovalNotice, FollowUp
from record.acts.note import add
from record.decisions import propose
from record.incidents import get_incident
from tests.support.codes import Codes
from tests.support.seed import seed_report, seed_team


def _world(*, urgent: bool = False) -> tuple[Codes, str]:
    with db.session_scope() as session:
        codes = Codes(seed_team(session).totp)
        return codes, seed_report(session, urgent=urgent)


def _decision(code: str | None, run: str | None, kind: DecisionKind = DecisionKind.other) -> int:
    with db.session_scope() as session:
        incident = get_incident(session, code) if code else None
        decision = propose(session, kind=kind, summary="x", proposer="ana", incident=incident)
        decision.flow_run_id = run
        return decision.id


def test_a_counted_answer_is_announced_and_wakes_its_signoff_run(care_db: str) -> None:
    codes, code = _world()
    decision_id = _decision(code, "signoff-run")
    with db.session_scope() as session:
        refused = answer_decision(
            session, decision_id=decision_id, handle="ben", verdict="approve", channel="cli"
        )
        counted = answer_decision(
            session,
            decision_id=decision_id,
            handle="ben",
            verdict="approve",
            channel="cli",
            code=codes("ben"),
        )
    assert refused.follow == FollowUp()  # nothing to tell, nobody to wake
    notice = ApprovalNotice(decision_id, counted.approval_id)
    assert counted.follow == FollowUp(announce=(notice,), wake=("signoff-run",), actor="ben")


def test_an_approved_erasure_is_carried_out_after_the_answer(care_db: str) -> None:
    codes, _code = _world()
    decision_id = _decision(None, None, DecisionKind.erasure)
    with db.session_scope() as session:
        answered = answer_decision(
            session,
            decision_id=decision_id,
            handle="ben",
            verdict="approve",
            channel="console",
            code=codes("ben"),
        )
    assert answered.state.status == "approved"
    assert answered.follow.erase == decision_id and answered.follow.wake == ()


def test_taking_an_urgent_case_wakes_nothing(care_db: str) -> None:
    _codes, code = _world(urgent=True)
    with db.session_scope() as session:
        get_incident(session, code).escalation_flow_run_id = "escalation-run"  # never suspends
        taken = take_urgent_case(session, incident_code=code, handle="dev", channel="sms")
    assert taken.counted and taken.first
    assert taken.follow == FollowUp()


def test_a_conflict_wakes_every_open_signoff_of_the_incident(care_db: str) -> None:
    _codes, code = _world()
    _decision(code, "run-1"), _decision(code, "run-2")
    _decision(code, None)  # no run collects it yet: nothing to wake
    _decision(None, "team-run")  # another decision's run
    with db.session_scope() as session:
        declared = declare(session, incident_code=code, handle="chloe", channel="slack")
    assert declared.counted and declared.follow == FollowUp(wake=("run-1", "run-2"))


def test_acting_alone_wakes_the_incidents_run_and_a_note_nothing(care_db: str) -> None:
    codes, code = _world()
    with db.session_scope() as session:
        get_incident(session, code).flow_run_id = "incident-run"
        acted = act_alone(
            session, incident_code=code, handle="ana", code=codes("ana"), action="Took the badge"
        )
        noted = add(session, incident_code=code, author="ben", body="Spoke with security")
    assert acted.follow == FollowUp(wake=("incident-run",))
    assert noted.follow == FollowUp()
