"""The path every report takes: a report followed up twice, or twice at once, thanks the
reporter once and tells the team once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from adapters.receipts import follow_up
from models import db
from models.schemas import ReportIn
from models.tables import AuditEntry, Message, Report
from record.reports import Received, receive
from tests.support.fake_slack import TEAM_CHANNEL, FakeSlack, running_fake_slack, slack_configured
from tests.support.seed import SECRETS, seed_team


@pytest.fixture
def fake(care_db: str) -> Iterator[FakeSlack]:
    with db.session_scope() as session:
        seed_team(session)
    with running_fake_slack() as fake, slack_configured(fake):
        yield fake


def _slack_report(view_id: str) -> Received:
    return receive(
        ReportIn(
            channel="slack",
            channel_message_id=view_id,
            narrative=SECRETS["narrative"],
            reporter_contact="UREPORTER",
            contact_kind="slack",
            urgent=True,
        )
    )


def _assert_followed_up_once(fake: FakeSlack, received: Received) -> None:
    posted = [c.args["channel"] for c in fake.of("chat.postMessage")]
    assert sorted(posted) == sorted(["UREPORTER", TEAM_CHANNEL])
    with db.session_scope() as session:
        messages = session.scalars(select(Message).order_by(Message.purpose)).all()
        assert [(m.purpose, m.status) for m in messages] == [
            ("acknowledgement", "sent"),
            ("team_notice", "sent"),
        ]
        report = session.get(Report, received.report_id)
        assert report is not None and report.acknowledged_at is not None
        acks = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "report.acknowledge")
        ).all()
        assert len(acks) == 1
    assert SECRETS["narrative"] not in fake.everything_sent()


def test_following_up_again_sends_nothing_new(fake: FakeSlack) -> None:
    received = _slack_report("VAGAIN")
    follow_up(received)
    follow_up(received)
    assert _slack_report("VAGAIN") == Received(**{**received.__dict__, "created": False})
    _assert_followed_up_once(fake, received)


def test_two_follow_ups_at_once_send_each_message_once(fake: FakeSlack) -> None:
    received = _slack_report("VRACE")
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        follow_up(received)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    _assert_followed_up_once(fake, received)
