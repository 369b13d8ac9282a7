"""A queued message is sent once, however many senders reach for it at the same moment."""

from __future__ import annotations

import threading

from sqlalchemy import select

from adapters.deliver import deliver
from models import db
from models.tables import Message
from record import outbox
from tests.support.fake_slack import running_fake_slack, slack_configured


def test_concurrent_deliveries_send_a_message_once(care_db: str) -> None:
    with db.session_scope() as session:
        message, _ = outbox.queue(
            session,
            channel="slack",
            purpose="team_notice",
            recipient="C0TEAM",
            body="CARE DCE26-1: new report",
            idempotency_key="notice-once",
        )
    barrier = threading.Barrier(6)
    results: list[str] = []

    def send() -> None:
        barrier.wait()
        results.append(deliver(message.id))

    with running_fake_slack() as fake, slack_configured(fake):
        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deliver(message.id)  # and once more afterwards, as a retried task would
        posted = fake.of("chat.postMessage")
    assert len(posted) == 1
    assert "sent" in results and set(results) <= {"sent", "sending"}
    with db.session_scope() as session:
        row = session.scalars(select(Message)).one()
        assert row.status == "sent" and row.claimed_at is None
