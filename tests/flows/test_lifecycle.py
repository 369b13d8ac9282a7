"""A whole incident, driven through the Prefect forms and the CLI's way of answering."""

from __future__ import annotations

from sqlalchemy import select

from models import db
from models import decisions as decisions_svc
from models.incidents import get_incident
from models.policy.status import IncidentStatus
from models.settings import get_settings
from models.tables import (
    AuditEntry,
    Conversation,
    Decision,
    Member,
    Message,
    Note,
    ReviewOutcome,
)
from tasks.orchestrate import wake_decision
from tests.support.codes import Codes
from tests.support.host import answer_form, form_description, read_run, wait_for
from tests.support.seed import Seeded, seed_report

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


def _incident_run(code: str) -> str:
    def run_id() -> str | None:
        with db.session_scope() as session:
            return get_incident(session, code).flow_run_id

    return str(wait_for(run_id))


def _pending(code: str, kind: str) -> Decision:
    def find() -> Decision | None:
        with db.session_scope() as session:
            incident = get_incident(session, code)
            for d in decisions_svc.pending_decisions(session, incident):
                if d.kind == kind and d.flow_run_id:
                    return d
        return None

    found = wait_for(find)
    assert isinstance(found, Decision)
    return found


def _status(code: str) -> str:
    with db.session_scope() as session:
        return get_incident(session, code).status


def _completed(run_id: str) -> bool:
    state = read_run(run_id).state
    return state is not None and state.is_completed()


def _approve_cli(decision_id: int, handle: str, codes: Codes) -> None:
    with db.session_scope() as session:
        result = decisions_svc.answer(
            session,
            decision_id=decision_id,
            handle=handle,
            verdict="approve",
            channel="cli",
            code=codes(handle),
        )
    assert result.counted, result.refusal
    wake_decision(decision_id)


def test_an_incident_runs_from_report_to_close(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = _incident_run(code)

    text = form_description(run_id)
    assert code in text and "review" in text
    answer_form(
        run_id, {"reviewer": "ana", "code": codes("ana"), **REVIEW, "happened_in_public": True}
    )

    review = _pending(code, "review_outcome")
    assert _status(code) == IncidentStatus.awaiting_signoff
    assert "1 of 2" in form_description(review.flow_run_id or "")
    answer_form(review.flow_run_id or "", {"member": "ben", "verdict": "approve", "code": "000000"})
    wait_for(lambda: "ben: bad_code" in form_description(review.flow_run_id or ""))
    answer_form(
        review.flow_run_id or "",
        {"member": "ben", "verdict": "approve", "code": codes("ben"), "comment": "agreed"},
    )

    wait_for(lambda: _status(code) == IncidentStatus.in_conversation)
    with db.session_scope() as session:
        conv = session.scalars(select(Conversation)).one()
        first = session.get(Member, conv.member_a_id)
        assert first is not None
        first_handle = first.handle
    answer_form(
        run_id,
        {
            "member": first_handle,
            "code": codes(first_handle),
            "notes": "Explained the code of conduct; they agreed to stop.",
            "held": True,
        },
    )

    message = _pending(code, "reporter_message")
    _approve_cli(message.id, "chloe", codes)

    statement = _pending(code, "public_statement_decision")
    for handle in ("ben", "chloe"):
        _approve_cli(statement.id, handle, codes)
    answer_form(
        run_id,
        {
            "member": "dev",
            "code": codes("dev"),
            "text": "A participant was asked to change their behaviour.",
        },
    )
    text_decision = _pending(code, "public_statement_text")
    for handle in ("eve", "ana"):  # a statement's text needs a team majority: 3 of 5
        _approve_cli(text_decision.id, handle, codes)

    wait_for(lambda: _completed(run_id))
    assert _status(code) == IncidentStatus.closed
    with db.session_scope() as session:
        purposes = sorted(m.purpose for m in session.scalars(select(Message)))
        assert purposes.count("inform_reporter") == 1
        assert purposes.count("enact.av") == 1
        enact = session.scalars(select(Message).where(Message.purpose == "enact.av")).one()
        assert (
            enact.body == f"CARE {code}: Do not publish the video of the conference talk. "
            "For the av team."
        )
        notes = [n.body for n in session.scalars(select(Note))]
        assert notes == ["Explained the code of conduct; they agreed to stop."]
        outcome = session.scalars(select(ReviewOutcome)).one()
        assert outcome.what_happened == REVIEW["what_happened"]
        refused = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "decision.answer")
        ).all()
        assert any('"refusal":"bad_code"' in e.detail for e in refused)
    statement_file = get_settings().published / "statements" / f"{code}.md"
    assert "asked to change their behaviour" in statement_file.read_text()


def test_more_information_loops_back_to_review(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = _incident_run(code)
    answer_form(
        run_id,
        {
            "reviewer": "ana",
            "code": codes("ana"),
            "needs_more_information": True,
            "information_to_gather": "Ask the witness at the booth",
        },
    )
    wait_for(lambda: _status(code) == IncidentStatus.gathering_information)
    answer_form(
        run_id,
        {"member": "ben", "code": codes("ben"), "findings": "The witness confirmed the remarks."},
    )
    wait_for(lambda: "round 2" in form_description(run_id))
    assert _status(code) == IncidentStatus.in_review
    with db.session_scope() as session:
        first = session.scalars(select(ReviewOutcome)).one()
        assert first.findings == "The witness confirmed the remarks."


def test_an_objection_returns_the_outcome_to_review(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = _incident_run(code)
    answer_form(run_id, {"reviewer": "ana", "code": codes("ana"), **REVIEW})
    review = _pending(code, "review_outcome")
    answer_form(
        review.flow_run_id or "",
        {
            "member": "ben",
            "verdict": "object",
            "code": codes("ben"),
            "comment": "We have not heard P1 yet",
        },
    )
    wait_for(lambda: "round 2" in form_description(run_id))
    with db.session_scope() as session:
        objected = session.get(Decision, review.id)
        assert objected is not None and objected.status == "objected"
        assert objected.objection == "We have not heard P1 yet"


def test_a_refused_review_is_asked_again_with_the_reason(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = _incident_run(code)
    answer_form(run_id, {"reviewer": "ana", "code": codes("ana"), **REVIEW, "violation": "no"})
    wait_for(lambda: "Last answer not recorded" in form_description(run_id))
    assert "No action" in form_description(run_id)
    with db.session_scope() as session:
        assert session.scalars(select(ReviewOutcome)).first() is None
