"""The incident record in the console, as members rely on it, conflicts respected."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import db
from models.tables import Note
from tests.support.console import csrf
from tests.support.console_case import Case, audit_entries, console_case
from tests.support.seed import SECRETS


@pytest.fixture
def case(care_db: str) -> Case:
    return console_case()


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
    views = audit_entries("incident.view")
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
    assert [v.detail for v in audit_entries("incident.view")] == [
        '{"restricted":true,"via":"console"}'
    ]
    assert audit_entries("incident.export") == []


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
    assert body not in "".join(e.detail for e in audit_entries("note.add"))


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


def test_export_the_record_as_markdown(case: Case) -> None:
    response = case.client("ben").get(f"/console/incidents/{case.code}/export.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert f'filename="{case.code}.md"' in response.headers["content-disposition"]
    assert response.text.startswith(f"# {case.code}") and SECRETS["narrative"] in response.text
    assert [e.actor for e in audit_entries("incident.export")] == ["ben"]


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
    assert [e.actor for e in audit_entries("attachment.view")] == ["ben"]
    assert case.client("dev").get(url).status_code == 403
    assert ben.get(f"/console/incidents/{case.urgent_code}/attachments/{row.id}").status_code == 404
