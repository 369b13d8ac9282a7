"""The acknowledgement: kind, no promise of an outcome, on the reporter's channel, only once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.receipts import TEMPLATES, acknowledge_report, approved_version, render
from models import db
from models.schemas import ReportIn
from models.tables import AuditEntry, Incident, Message, Report
from record.reports import receive
from tests.support.seed import seed_team
from tests.support.smtp import smtp_server

# What the guide forbids at intake: any commitment to a verdict or to an action.
PROMISES = re.compile(
    r"\b(will be (removed|banned|expelled|punished|sanctioned|suspended|held accountable)"
    r"|violat\w*|guilty|we will (remove|ban|punish|act|take action)|consequences"
    r"|action will be taken|justice|we believe you|was wrong|offender|harasser|perpetrator)\b",
    re.IGNORECASE,
)
KIND = ("thank you", "carefully")


def _report(message_id: str, **kw: object) -> int:
    base: dict[str, object] = {
        "channel": "email",
        "channel_message_id": message_id,
        "narrative": "something happened",
        "event_slug": "dce26",
        "reporter_contact": "robin@example.net",
        "contact_kind": "email",
        "thread_ref": message_id,
    }
    return receive(ReportIn.model_validate(base | kw)).report_id


def _versions() -> list[Path]:
    return sorted(TEMPLATES.glob("v*.txt"))


def test_the_manifest_names_an_approved_version_for_every_channel() -> None:
    manifest = json.loads((TEMPLATES / "manifest.json").read_text())
    version = approved_version()
    assert version == manifest["approved"] and version in manifest["versions"]
    for channel in ("email", "slack", "sms"):
        assert (TEMPLATES / f"{version}.{channel}.txt").exists()


@pytest.mark.parametrize("path", _versions(), ids=lambda p: p.name)
def test_templates_are_kind_and_promise_no_outcome(path: Path) -> None:
    text = path.read_text()
    assert PROMISES.search(text) is None, PROMISES.search(text)
    assert all(word in text.lower() for word in KIND)
    assert "$code" in text
    if path.name.endswith(".sms.txt"):
        assert len(render("sms", "DCE26-123").body) <= 320  # two SMS segments at most


def test_email_report_is_acknowledged_in_its_thread_once(care_db: str) -> None:
    with db.session_scope() as session:
        seed_team(session)
    report_id = _report("<r1@example.net>")
    with smtp_server() as inbox:
        assert acknowledge_report(report_id) == "sent"
        assert acknowledge_report(report_id) == "sent"  # a retried follow-up sends nothing more
        [mail] = inbox.wait_for(1)
    assert mail["In-Reply-To"] == "<r1@example.net>" and "DCE26-1" in mail.get_content()
    assert len(inbox.messages) == 1
    with db.session_scope() as session:
        report = session.get(Report, report_id)
        assert report is not None and report.acknowledged_at is not None
        assert report.incident.acknowledged_at == report.acknowledged_at
        [message] = session.scalars(select(Message)).all()
        assert (message.idempotency_key, message.status) == (f"ack-report-{report_id}", "sent")
        assert (message.meta or {})["template"] == f"ack/{approved_version()}"
        actions = session.scalars(select(AuditEntry.action)).all()
        assert actions.count("report.acknowledge") == 1


def test_slack_and_phone_reporters_are_acknowledged_on_their_channel(care_db: str) -> None:
    with db.session_scope() as session:
        seed_team(session)
    slack = _report("slack-1", channel="slack", reporter_contact="U0REPORTER", contact_kind="slack")
    phone = _report("web-1", channel="web", reporter_contact="+353851234599", contact_kind="phone")
    assert acknowledge_report(slack) == acknowledge_report(phone) == "outbox"  # no credentials
    with db.session_scope() as session:
        sent = {m.channel: m for m in session.scalars(select(Message))}
        assert sent["slack"].recipient == "U0REPORTER" and "DCE26-1" in sent["slack"].body
        assert sent["sms"].recipient == "+353851234599" and "DCE26-2" in sent["sms"].body
        # the outbox is not an acknowledgement that reached anyone
        assert session.get(Report, slack).acknowledged_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "kw",
    [
        {"anonymous": True},
        {"consent_to_contact": False},
        {"reporter_contact": None, "contact_kind": None},
    ],
    ids=["anonymous", "no consent", "no contact"],
)
def test_no_message_without_contact_and_consent(care_db: str, kw: dict[str, object]) -> None:
    with db.session_scope() as session:
        seed_team(session)
    report_id = _report("<quiet@example.net>", **kw)
    with smtp_server() as inbox:
        assert acknowledge_report(report_id) is None
    assert inbox.messages == []
    with db.session_scope() as session:
        assert session.scalars(select(Message)).all() == []
        assert session.scalars(select(Incident)).one().acknowledged_at is None


def test_a_refused_address_is_recorded_as_failed_without_retrying(care_db: str) -> None:
    with db.session_scope() as session:
        seed_team(session)
    report_id = _report("<bounce@example.net>")
    with smtp_server() as inbox:
        inbox.refuse = "550 no such user"
        assert acknowledge_report(report_id, backoff_s=0.01) == "failed"
    with db.session_scope() as session:
        message = session.scalars(select(Message)).one()
        assert message.status == "failed" and "550" in (message.error or "")
        assert session.get(Report, report_id).acknowledged_at is None  # type: ignore[union-attr]
