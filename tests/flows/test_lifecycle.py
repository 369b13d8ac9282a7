"""A whole incident, driven through the Prefect forms and the CLI's way of answering."""

from __future__ import annotations

import json
from typing import Any, cast
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from sqlalchemy import select

from adapters.prefect_api import wake_open_signoffs
from models import db
from models.schemas import ReportIn
from models.settings import get_settings
from models.tables import (
    Approval,
    AuditEntry,
    Decision,
    Message,
    Note,
    ReviewOutcome,
)
from policy import resolutions
from policy.resolutions import ResolutionEntry
from policy.signoff import DecisionStatus
from policy.status import IncidentStatus
from record.acts.answer import answer_decision
from record.incidents import add_party, declare_conflict, get_incident, store_report
from tests.support.codes import Codes
from tests.support.host import answer_form, form_description, wait_for, waiting_form
from tests.support.lifecycle import (
    NO_VIOLATION,
    NOTES,
    REVIEW,
    STATEMENT,
    approve_cli,
    completed,
    incident_run,
    pending,
    status,
    whole_lifecycle,
)
from tests.support.seed import Seeded, seed_report


def test_an_incident_runs_from_report_to_close(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    text = form_description(run_id)
    assert code in text and "review" in text
    assert "P1 (reported)" in text

    whole_lifecycle(code, codes)

    assert status(code) == IncidentStatus.closed
    with db.session_scope() as session:
        purposes = sorted(m.purpose for m in session.scalars(select(Message)))
        assert purposes.count("inform_reporter") == 1
        assert purposes.count("enact.av") == 1
        enact = session.scalars(select(Message).where(Message.purpose == "enact.av")).one()
        assert enact.body == (
            f"CARE {code}: Do not publish the video of the conference talk. For the av team."
        )
        assert [n.body for n in session.scalars(select(Note))] == [NOTES]
        outcome = session.scalars(select(ReviewOutcome)).one()
        assert outcome.what_happened == REVIEW["what_happened"]
        ben = session.scalars(
            select(Approval).where(Approval.claimed_handle == "ben", Approval.counted)
        ).first()
        assert ben is not None and ben.comment == "agreed" and ben.channel == "ui"
    statement_file = get_settings().published / "statements" / f"{code}.md"
    assert statement_file.read_text().strip() == STATEMENT
    with db.session_scope() as session:  # the team channel hears where it was published
        notices = session.scalars(select(Message).where(Message.purpose == "team_notice"))
        assert any(f"statements/{code}.md" in n.body for n in notices)


def test_a_wrong_code_is_refused_and_the_form_asks_again(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    answer_form(run_id, {"reviewer": "ana", "code": codes.later("ana"), **REVIEW})
    review = pending(code, "review_outcome")
    assert "1 of 2" in form_description(review.flow_run_id or "")
    answer_form(review.flow_run_id or "", {"member": "ben", "verdict": "approve", "code": "000000"})
    wait_for(
        lambda: (
            "The answer of ben was not counted: the code was wrong"
            in form_description(review.flow_run_id or "")
        )
    )
    with db.session_scope() as session:
        refused = session.scalars(select(Approval).where(Approval.refusal == "bad_code")).one()
        assert not refused.counted
        assert session.get(Decision, review.id).status == DecisionStatus.pending  # type: ignore[union-attr]


def test_more_information_loops_back_to_review(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    answer_form(
        run_id,
        {
            "reviewer": "ana",
            "code": codes.later("ana"),
            "needs_more_information": True,
            "information_to_gather": "Ask the witness at the booth",
        },
    )
    wait_for(lambda: status(code) == IncidentStatus.gathering_information)
    answer_form(
        run_id,
        {
            "member": "ben",
            "code": codes.later("ben"),
            "findings": "The witness confirmed the remarks.",
        },
    )
    wait_for(lambda: "round 2" in form_description(run_id))
    assert status(code) == IncidentStatus.in_review
    with db.session_scope() as session:
        first = session.scalars(select(ReviewOutcome)).one()
        assert first.findings == "The witness confirmed the remarks."


def test_an_objection_returns_the_outcome_to_review(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    answer_form(run_id, {"reviewer": "ana", "code": codes.later("ana"), **REVIEW})
    review = pending(code, "review_outcome")
    answer_form(
        review.flow_run_id or "",
        {
            "member": "ben",
            "verdict": "object",
            "code": codes.later("ben"),
            "comment": "We have not heard P1 yet",
        },
    )
    wait_for(lambda: "round 2" in form_description(run_id))
    with db.session_scope() as session:
        objected = session.get(Decision, review.id)
        assert objected is not None and objected.status == DecisionStatus.objected
        assert objected.objection == "We have not heard P1 yet"


def test_a_refused_review_is_asked_again_with_the_reason(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    answer_form(
        run_id, {"reviewer": "ana", "code": codes.later("ana"), **REVIEW, "violation": "no"}
    )
    wait_for(lambda: "Last answer not recorded" in form_description(run_id))
    assert "No action" in form_description(run_id)
    with db.session_scope() as session:
        assert session.scalars(select(ReviewOutcome)).first() is None


def test_a_declared_conflict_takes_the_member_off_open_signoffs(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    answer_form(run_id, {"reviewer": "ana", "code": codes.later("ana"), **REVIEW})
    review = pending(code, "review_outcome")
    assert "ben" in form_description(review.flow_run_id or "")
    with db.session_scope() as session:  # as `care conflict declare` does
        declare_conflict(session, get_incident(session, code), "ben")
    wake_open_signoffs(code)
    wait_for(lambda: "ben" not in _may_still_approve(review.flow_run_id or ""))
    with db.session_scope() as session:
        refused = answer_decision(
            session,
            decision_id=review.id,
            handle="ben",
            verdict="approve",
            channel="cli",
            code=codes("ben"),
        )
    assert not refused.counted and refused.refusal == "conflicted"


def test_an_anonymous_reporter_is_not_told_and_the_skip_is_recorded(
    team: Seeded, host: object
) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        incident, _, _ = store_report(
            session,
            ReportIn(
                channel="web",
                channel_message_id="anon-1",
                narrative="Someone shouted",
                anonymous=True,
                event_slug="dce26",
            ),
        )
        add_party(session, incident, role="reported", actor="ana")
        code = incident.code
    quick = {"reviewer": "ana", "code": codes.later("ana"), **NO_VIOLATION}
    run_id = incident_run(code)
    answer_form(run_id, quick)
    approve_cli(pending(code, "review_outcome").id, "ben", codes)
    wait_for(lambda: completed(run_id))
    with db.session_scope() as session:
        to_reporter = session.scalars(
            select(Message).where(Message.purpose.not_in(["team_notice"]))
        ).all()
        assert to_reporter == []  # neither an acknowledgement nor the outcome: no one to tell
        skipped = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "reporter.inform.skipped")
        ).one()
        assert '"reason":"anonymous"' in skipped.detail


def _may_still_approve(run_id: str) -> str:
    text = form_description(run_id)
    return text.split("May still approve:**", 1)[1].split("\n", 1)[0]


def test_a_resolution_added_to_the_catalogue_is_offered_and_recorded(
    team: Seeded, host: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    apology = ResolutionEntry("apologise", "Ask the participant to apologise", "care")
    monkeypatch.setattr(resolutions, "CATALOGUE", (*resolutions.CATALOGUE, apology))
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    assert "resolve_apologise" in _form_schema(run_id)["properties"]  # the real Prefect form
    answer = {**REVIEW, "resolve_do_not_publish_video": False, "resolve_apologise": True}
    answer_form(run_id, {"reviewer": "ana", "code": codes.later("ana"), **answer})
    review = pending(code, "review_outcome")
    with db.session_scope() as session:
        outcome = session.scalars(select(ReviewOutcome)).one()
        assert outcome.resolutions == ["stop_behaviour", "apologise"]
        assert "resolutions: stop_behaviour, apologise" in review.summary


def _form_schema(run_id: str) -> dict[str, Any]:
    keyset = wait_for(lambda: waiting_form(run_id))
    assert isinstance(keyset, dict)
    with get_client(sync_client=True) as client:
        schema = client.read_flow_run_input(UUID(run_id), keyset["schema"])
    return cast(dict[str, Any], json.loads(schema) if isinstance(schema, str) else schema)
