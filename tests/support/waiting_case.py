"""Incidents waiting on the team in each way "Waiting for me" lists: two reviews, a
public statement's text to write, and a review outcome's sign-off (dev is conflicted on the
first review and on the sign-off's incident)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import db
from models.answers import ReviewAnswer
from models.tables import Incident
from policy.signoff import DecisionKind
from policy.status import IncidentStatus
from record import decisions
from record.acts.answer import answer_decision
from record.incidents import declare_conflict, get_incident
from record.review import record_review
from tests.support.codes import Codes
from tests.support.seed import seed_report, seed_team


@dataclass
class Case:
    reviews: list[str]  # two incidents waiting for their review
    statement: str  # one waiting for its public statement's text
    signoff: str  # one whose review outcome waits for its sign-off (dev is conflicted)
    decision_id: int
    totp: dict[str, str]


def _approve(session: Session, decision_id: int, *handles: str) -> None:
    for handle in handles:
        answer_decision(
            session, decision_id=decision_id, handle=handle, verdict="approve", channel="slack"
        )


def _reviewed(session: Session, incident: Incident, codes: Codes, *, public: bool) -> int:
    answer = ReviewAnswer(
        reviewer="ana",
        code=codes("ana"),
        what_happened="A remark in the hallway.",
        violation="yes",
        resolutions=["stop_behaviour"],
        happened_in_public=public,
    )
    outcome = record_review(session, incident, answer)
    assert outcome.decision_id is not None
    return outcome.decision_id


def waiting_case() -> Case:
    """Seed the team and the four incidents."""
    with db.session_scope() as session:
        seeded = seed_team(session)
        codes = Codes(seeded.totp)
        reviews = [seed_report(session, message_id=f"web-{i}") for i in (1, 2)]
        declare_conflict(session, get_incident(session, reviews[0]), "dev")
        public = get_incident(session, seed_report(session, message_id="web-3"))
        _approve(session, _reviewed(session, public, codes, public=True), "ben")
        statement = decisions.propose(
            session,
            kind=DecisionKind.public_statement_decision,
            summary=f"Make a public statement about {public.code}",
            proposer="ana",
            incident=public,
        )
        _approve(session, statement.id, "ben", "chloe")
        public.status = IncidentStatus.public_statement
        pending = get_incident(session, seed_report(session, message_id="web-4"))
        declare_conflict(session, pending, "dev")
        decision_id = _reviewed(session, pending, codes, public=False)
        return Case(reviews, public.code, pending.code, decision_id, seeded.totp)
