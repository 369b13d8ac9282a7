"""After the retention purge nothing personal remains, and the figures and the trail hold."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import select

from models import db, totp
from models.tables import AuditEntry, Incident
from record import audit, decisions, outbox
from record.erasure import Person, execute, propose_erasure
from record.events import get_event
from record.incidents import declare_conflict, get_incident
from record.purge import compact, purge_event
from tasks.transparency import compile_report
from tests.support.editions import PEOPLE, Spec, add_edition, add_incident
from tests.support.leakscan import found_in_files, found_in_tables, postgres_files, sqlite_files
from tests.support.seed import seed_team

PURGED = [
    *(v for k, v in PEOPLE.items() if k != "phone"),
    "Reporter Number1",
    "reporter2@example.net",
    "kept interrupting my talk",
    "she needs time before we talk",  # a conflict reason
    "Dear Reporter",  # a message to the reporter
]


def _seed() -> tuple[list[str], dict[str, str]]:
    with db.session_scope() as session:
        team = seed_team(session)
        add_edition(session, "dce27", 2027)
        specs = [Spec("harassment", summary="A participant made sexist remarks.")] * 3
        codes = [add_incident(session, "dce27", 2027, s, n) for n, s in enumerate(specs, 1)]
        incident = get_incident(session, codes[0])
        declare_conflict(session, incident, "ben", reason="she needs time before we talk")
        outbox.queue(
            session,
            channel="email",
            purpose="reporter",
            recipient="reporter1@example.net",
            body="Dear Reporter Number1, thank you",
            idempotency_key="m-1",
            incident=incident,
        )
        decision = decisions.propose(
            session,
            kind=decisions.DecisionKind.reporter_message,
            summary="reply",
            proposer="ana",
            incident=incident,
            body=f"Dear Reporter, {PEOPLE['party_name']} ...",
        )
        decisions.answer(
            session,
            decision_id=decision.id,
            handle="chloe",
            verdict="approve",
            channel="cli",
            code=totp.current_code(team.totp["chloe"]),
            comment=f"ok, {PEOPLE['witness']}",
        )
    return codes, team.totp


def _files() -> list:
    engine = db.engine()
    if engine.dialect.name == "sqlite":
        return sqlite_files(engine.url.render_as_string(hide_password=False))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CHECKPOINT")  # what is in shared buffers reaches the files
    return postgres_files(engine)


def test_nothing_personal_remains_after_the_purge(care_db: str) -> None:
    codes, _ = _seed()
    before = compile_report("dce27").markdown
    assert {s for _, s in found_in_tables(db.engine(), PURGED)} == {s.lower() for s in PURGED}
    assert found_in_files(_files(), PURGED)  # the scan sees stored (encrypted) values

    with db.session_scope() as session:
        counts = purge_event(session, get_event(session, "dce27"))
    compact(db.engine())

    assert counts["incidents"] == 3 and counts["attachments"] == 3 and counts["audit_entries"] > 10
    assert found_in_tables(db.engine(), PURGED) == []
    assert found_in_files(_files(), PURGED) == []
    with db.session_scope() as session:
        assert audit.verify(session).ok
        incident = get_incident(session, codes[0])
        assert incident.purged_at and incident.summary == "A participant made sexist remarks."
        actors = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.incident_code.in_(codes))
        ).all()
        assert "ana" not in actors and any(a.startswith("member-") for a in actors)
    assert compile_report("dce27").markdown == before  # the figures survive the purge


def test_the_purge_leaves_other_editions_and_open_cases_alone(care_db: str) -> None:
    codes, _ = _seed()
    with db.session_scope() as session:
        add_edition(session, "dce28", 2028)
        kept = add_incident(session, "dce28", 2028, Spec("disruption"), 9)
        still_open = add_incident(session, "dce27", 2027, Spec("disruption"), 10)
        get_incident(session, still_open).closed_at = None  # the team still works on it
        counts = purge_event(session, get_event(session, "dce27"))
        assert counts["incidents"] == 3 and counts["kept_open"] == 1
        assert get_incident(session, still_open).reports[0].reporter_name == "Reporter Number10"
        assert get_incident(session, kept).reports[0].narrative.startswith(PEOPLE["party_name"])
        assert get_incident(session, kept).purged_at is None
        purged = session.scalar(select(Incident).where(Incident.code == codes[1]))
        assert purged is not None and purged.reports[0].reporter_name is None


def test_a_pseudonymised_entry_without_its_erasure_record_fails_verification(
    care_db: str,
) -> None:
    _seed()
    with db.session_scope() as session:
        purge_event(session, get_event(session, "dce27"))
    with db.engine().begin() as conn:  # someone hides an erasure they did not record
        conn.execute(sa.text("DELETE FROM audit_entries WHERE action = 'audit.pseudonymise'"))
        conn.execute(sa.text("UPDATE audit_entries SET salt = NULL, actor = 'x' WHERE seq = 2"))
    with db.session_scope() as session:
        verdict = audit.verify(session)
    assert not verdict.ok


def test_erasure_needs_two_members_then_erases_one_person_everywhere(care_db: str) -> None:
    _codes, codes_totp = _seed()
    email = PEOPLE["party_email"].upper()  # found whatever the case
    with db.session_scope() as session:
        decision = propose_erasure(
            session, Person.checked(email=email, phone=None, name=None), proposer="ana"
        )
        assert "3 party records, 3 incidents" in decision.summary
        assert "@" not in decision.summary
        assert execute(session, decision.id) is None  # the proposer alone is not enough
        decisions.answer(
            session,
            decision_id=decision.id,
            handle="dev",
            verdict="approve",
            channel="cli",
            code=totp.current_code(codes_totp["dev"]),
        )
        counts = execute(session, decision.id)
        assert counts is not None and counts["parties"] == 3 and counts["texts_redacted"] >= 3
        assert execute(session, decision.id) is None  # once only
        assert "email" not in (decisions.get_decision(session, decision.id).payload or {})
        assert audit.verify(session).ok
    gone = [PEOPLE["party_email"], PEOPLE["party_name"], PEOPLE["party_org"], PEOPLE["talk_title"]]
    assert found_in_tables(db.engine(), gone) == []
    assert found_in_tables(db.engine(), ["Reporter Number1"])  # other people's data stays
