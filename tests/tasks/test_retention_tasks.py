"""What the after-conference sweep finds due: reports, purges and erasures."""

from __future__ import annotations

from datetime import date

from models import db, totp
from policy.signoff import DecisionKind
from record import decisions
from record.erasure import Person, propose_erasure
from record.events import get_event
from tasks.retention import find_due_work, purge_is_due
from tests.support.editions import PEOPLE, Spec, add_edition, add_incident
from tests.support.seed import seed_team


def test_the_sweep_finds_what_is_due(care_db: str) -> None:
    with db.session_scope() as session:
        team = seed_team(session)  # dce26: 20-24 April 2026
        add_edition(session, "dce25", 2025)
        add_incident(session, "dce25", 2025, Spec("harassment"), 1)
    assert find_due_work.fn(today=date(2026, 4, 24)).reports == []  # the last day
    work = find_due_work.fn(today=date(2026, 4, 25))
    assert work.reports == ["dce26"] and work.purges == ["dce25"]  # 2025 is past retention
    assert purge_is_due.fn("dce25", today=date(2026, 4, 25))
    assert not purge_is_due.fn("dce26", today=date(2026, 10, 21))  # day 180: still kept
    assert purge_is_due.fn("dce26", today=date(2026, 10, 22))

    with db.session_scope() as session:
        event = get_event(session, "dce26")
        report = decisions.propose(
            session,
            kind=DecisionKind.transparency_report,
            summary="publish",
            proposer=None,
            event_id=event.id,
        )
        report.status = "approved"
        erase = propose_erasure(session, Person(email=PEOPLE["party_email"]), proposer="ana")
        erase_id = erase.id
    work = find_due_work.fn(today=date(2026, 4, 26))
    assert work.reports == [] and work.erasures_to_sign == [erase_id] and work.erasures == []
    with db.session_scope() as session:
        decisions.answer(
            session,
            decision_id=erase_id,
            handle="ben",
            verdict="approve",
            channel="cli",
            code=totp.current_code(team.totp["ben"]),
        )
    assert find_due_work.fn(today=date(2026, 4, 26)).erasures == [erase_id]
