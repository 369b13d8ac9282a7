"""The incident record in the console, as members rely on it, conflicts respected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from models import db
from models.tables import AuditEntry, Conversation, Member, Message, Note
from policy.signoff import DecisionKind
from record import decisions as decision_svc
from record.incidents import add_note, declare_conflict, get_incident
from tests.support.console import console_app, csrf, next_code, signed_in
from tests.support.seed import SECRETS, seed_report, seed_team


@dataclass
class Case:
    app: FastAPI
    code: str
    urgent_code: str
    decision_id: int
    conversation_id: int
    totp: dict[str, str]

    def client(self, handle: str) -> TestClient:
        return signed_in(self.app, handle, self.totp[handle])


@pytest.fixture
def case(care_db: str) -> Case:
    with db.session_scope() as session:
        seeded = seed_team(session)
        incident = get_incident(session, seed_report(session))
        incident.reported_at = datetime(2026, 4, 21, 8, 5, tzinfo=UTC)
        urgent = seed_report(session, message_id="web-2", urgent=True)
        decision = decision_svc.propose(
            session,
            kind=DecisionKind.review_outcome,
            summary="violation: yes; stop_behaviour",
            proposer="ana",
            incident=incident,
        )
        declare_conflict(session, incident, "dev")
        add_note(session, incident, author="ana", body=SECRETS["note"])
        ids = dict(session.execute(select(Member.handle, Member.id)).tuples().all())
        conversation = Conversation(
            incident_id=incident.id, member_a_id=ids["ben"], member_b_id=ids["chloe"]
        )
        session.add(conversation)
        session.flush()
        app, _config = console_app()
        return Case(app, incident.code, urgent, decision.id, conversation.id, seeded.totp)


def _audit(action: str) -> list[AuditEntry]:
    with db.session_scope() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_record_shows_reports_parties_notes_and_decisions(case: Case) -> None:
    page = case.client("ben").get(f"/console/incidents/{case.code}")
    assert page.status_code == 200
    for secret in ("narrative", "reporter_name", "reporter_email", "reported_name", "note"):
        assert SECRETS[secret] in page.text, secret
    assert "review outcome" in page.text and "violation: yes; stop_behaviour" in page.text
    assert f'action="/console/decisions/{case.decision_id}/answer"' in page.text
    assert "Tue 21 Apr 09:05 IST" in page.text  # the event's time zone, Europe/Dublin


def test_every_view_is_audited_without_personal_data(case: Case) -> None:
    client = case.client("ben")
    client.get(f"/console/incidents/{case.code}")
    client.get(f"/console/incidents/{case.code}")
    views = _audit("incident.view")
    assert [(v.actor, v.incident_code) for v in views] == [("ben", case.code)] * 2
    assert all(v.detail == '{"restricted":false,"via":"console"}' for v in views)


def test_a_conflicted_member_sees_only_that_it_exists_and_its_status(case: Case) -> None:
    client = case.client("dev")
    page = client.get(f"/console/incidents/{case.code}")
    assert page.status_code == 200
    assert "declared a conflict of interest" in page.text and "reported" in page.text
    for secret in SECRETS.values():
        assert secret not in page.text
    assert "/answer" not in page.text and "/notes" not in page.text
    listing = client.get("/console/incidents").text
    assert case.code in listing and "your conflict" in listing
    export = client.get(f"/console/incidents/{case.code}/export.md")
    assert export.status_code == 403 and SECRETS["narrative"] not in export.text
    note = client.post(
        f"/console/incidents/{case.code}/notes", data={"body": "x", "csrf": csrf(client)}
    )
    assert note.status_code == 403
    assert [v.detail for v in _audit("incident.view")] == ['{"restricted":true,"via":"console"}']
    assert _audit("incident.export") == []


def test_add_a_note(case: Case) -> None:
    client = case.client("chloe")
    token = csrf(client)
    body = "Spoke with P1; they agreed to keep away."
    response = client.post(
        f"/console/incidents/{case.code}/notes",
        data={"body": body, "csrf": token, "conversation": str(case.conversation_id)},
    )
    assert response.status_code == 200 and "Your note is in the record" in response.text
    assert body.replace(";", ";") in response.text
    with db.session_scope() as session:
        note = session.scalars(select(Note).order_by(Note.id.desc())).first()
        assert note is not None
        assert (note.body, note.conversation_id) == (body, case.conversation_id)
    assert body not in "".join(e.detail for e in _audit("note.add"))


def test_an_empty_note_is_refused_with_a_message(case: Case) -> None:
    client = case.client("chloe")
    response = client.post(
        f"/console/incidents/{case.code}/notes", data={"body": "   ", "csrf": csrf(client)}
    )
    assert response.status_code == 400 and "a note cannot be empty" in response.text


def test_a_form_without_its_token_changes_nothing(case: Case) -> None:
    client = case.client("chloe")
    response = client.post(f"/console/incidents/{case.code}/notes", data={"body": "forged"})
    assert response.status_code == 403 and "out of date" in response.text
    with db.session_scope() as session:
        assert [n.body for n in session.scalars(select(Note))] == [SECRETS["note"]]


def test_approve_a_decision_counts_with_the_policy(case: Case) -> None:
    client = case.client("ben")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={"verdict": "approve", "code": next_code(case.totp["ben"]), "csrf": csrf(client)},
    )
    assert response.status_code == 200 and "Your approval is counted" in response.text
    with db.session_scope() as session:
        decision = decision_svc.get_decision(session, case.decision_id)
        state = decision_svc.state(session, decision)
        assert state.status == "approved" and state.approvers == ["ana", "ben"]
        assert [(a.claimed_handle, a.channel, a.counted) for a in decision.approvals] == [
            ("ben", "console", True)
        ]
        key = f"notice:approval:{decision.approvals[0].id}"
        notice = session.scalars(select(Message).where(Message.idempotency_key == key)).one()
    assert notice.purpose == "team_notice" and "ben" in notice.body  # seen by the team at once
    assert not any(secret in notice.body for secret in SECRETS.values())


def test_a_wrong_code_is_refused_and_recorded(case: Case) -> None:
    client = case.client("ben")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={"verdict": "approve", "code": "000000", "csrf": csrf(client)},
    )
    assert response.status_code == 400 and "The code was not right" in response.text
    with db.session_scope() as session:
        decision = decision_svc.get_decision(session, case.decision_id)
        assert decision.status == "pending"
        assert [(a.counted, a.refusal) for a in decision.approvals] == [(False, "bad_code")]


def test_the_code_used_to_sign_in_cannot_approve(case: Case) -> None:
    from tests.support.console import code_now

    client = case.client("ben")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={"verdict": "approve", "code": code_now(case.totp["ben"]), "csrf": csrf(client)},
    )
    assert response.status_code == 400 and "already used" in response.text


def test_an_objection_sends_the_decision_back(case: Case) -> None:
    client = case.client("chloe")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={
            "verdict": "object",
            "code": next_code(case.totp["chloe"]),
            "comment": "We have not heard P1 yet.",
            "csrf": csrf(client),
        },
    )
    assert response.status_code == 200 and "goes back to its proposer" in response.text
    with db.session_scope() as session:
        decision = decision_svc.get_decision(session, case.decision_id)
        assert (decision.status, decision.objection) == ("objected", "We have not heard P1 yet.")


def test_a_conflicted_member_cannot_answer(case: Case) -> None:
    client = case.client("dev")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={"verdict": "approve", "code": next_code(case.totp["dev"]), "csrf": csrf(client)},
    )
    assert response.status_code == 403
    with db.session_scope() as session:
        assert decision_svc.get_decision(session, case.decision_id).approvals == []


def test_declaring_a_conflict_hides_the_record_and_stops_the_approval(case: Case) -> None:
    client = case.client("eve")
    assert f"#decision-{case.decision_id}" in client.get("/console/").text
    response = client.post(f"/console/incidents/{case.code}/conflict", data={"csrf": csrf(client)})
    assert response.status_code == 200 and "Your conflict is recorded" in response.text
    assert SECRETS["narrative"] not in response.text
    assert f"#decision-{case.decision_id}" not in client.get("/console/").text
    with db.session_scope() as session:
        state = decision_svc.state(session, decision_svc.get_decision(session, case.decision_id))
        assert "eve" not in state.eligible


def test_waiting_for_me(case: Case) -> None:
    ben = case.client("ben").get("/console/").text
    assert f"/console/incidents/{case.code}#decision-{case.decision_id}" in ben
    assert f"/console/incidents/{case.urgent_code}/acknowledge" in ben
    assert f"#conversation-{case.conversation_id}" in ben
    ana = case.client("ana").get("/console/").text  # she proposed it: nothing to sign
    assert f"#decision-{case.decision_id}" not in ana
    assert f"#conversation-{case.conversation_id}" not in ana
    dev = case.client("dev").get("/console/").text  # conflicted on the first incident
    assert f"#decision-{case.decision_id}" not in dev
    assert f"{case.urgent_code}/acknowledge" in dev


def test_acknowledge_an_urgent_incident(case: Case) -> None:
    client = case.client("chloe")
    response = client.post(
        f"/console/incidents/{case.urgent_code}/acknowledge", data={"csrf": csrf(client)}
    )
    assert response.status_code == 200 and "you are the first responder" in response.text
    with db.session_scope() as session:
        incident = get_incident(session, case.urgent_code)
        assert incident.first_responder_id is not None and incident.first_response_at
    assert f"{case.urgent_code}/acknowledge" not in case.client("ben").get("/console/").text


def test_export_the_record_as_markdown(case: Case) -> None:
    response = case.client("ben").get(f"/console/incidents/{case.code}/export.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert f'filename="{case.code}.md"' in response.headers["content-disposition"]
    assert response.text.startswith(f"# {case.code}") and SECRETS["narrative"] in response.text
    assert [e.actor for e in _audit("incident.export")] == ["ben"]


@pytest.mark.parametrize("code", ["DCE26-99", "not a code", "x" * 300])
def test_an_unknown_incident_is_a_clear_404(case: Case, code: str) -> None:
    response = case.client("ben").get(f"/console/incidents/{code}")
    assert response.status_code == 404 and "No such incident" in response.text


def test_pages_are_not_cached_nor_framed(case: Case) -> None:
    response = case.client("ben").get(f"/console/incidents/{case.code}")
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "<script" not in response.text.lower()


def test_what_people_typed_is_shown_as_text(case: Case) -> None:
    client = case.client("chloe")
    typed = '<script>alert("x")</script><a href="javascript:x">'
    client.post(f"/console/incidents/{case.code}/notes", data={"body": typed, "csrf": csrf(client)})
    page = client.get(f"/console/incidents/{case.code}").text
    assert typed not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_an_attachment_downloads_for_the_team_only(case: Case) -> None:
    from models.tables import Attachment, Report

    with db.session_scope() as session:
        report = session.scalars(select(Report)).first()
        assert report is not None
        row = Attachment(
            report_id=report.id,
            filename="badge.png",
            content_type="image/png",
            size=4,
            content=b"\x89PNG",
        )
        session.add(row)
        session.flush()
        url = f"/console/incidents/{report.incident.code}/attachments/{row.id}"
    ben = case.client("ben")
    assert url in ben.get(f"/console/incidents/{case.code}").text
    got = ben.get(url)
    assert got.status_code == 200 and got.content == b"\x89PNG"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "badge" not in got.headers["content-disposition"]  # file names may be personal
    assert [e.actor for e in _audit("attachment.view")] == ["ben"]
    assert case.client("dev").get(url).status_code == 403
    assert ben.get(f"/console/incidents/{case.urgent_code}/attachments/{row.id}").status_code == 404
