"""poll-mailbox against a real IMAP server: every unseen mail is stored once, then seen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.mailbox import poll_mailbox
from models import db
from models.tables import Report
from tests.support.care_db import use_care
from tests.support.imap import Mailbox, imap_server
from tests.support.seed import seed_team
from tests.support.smtp import Inbox, smtp_server


@pytest.fixture
def servers(sqlite_care: str, prefect_server: None) -> Iterator[tuple[Mailbox, Inbox]]:
    with db.session_scope() as session:
        seed_team(session)
    with imap_server() as mailbox, smtp_server() as inbox:
        yield mailbox, inbox


def _mail(message_id: str | None, body: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Robin <robin@example.net>"
    message["To"] = "conduct@example.org"
    message["Subject"] = "A report"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def test_every_unseen_mail_is_stored_once_then_marked_seen(
    servers: tuple[Mailbox, Inbox],
) -> None:
    mailbox, inbox = servers
    mailbox.append(_mail("<m1@example.net>", "He blocked the door."))
    mailbox.append(_mail("<m1@example.net>", "He blocked the door."))  # delivered twice
    mailbox.append(_mail(None, "No Message-ID here, but still a report."))
    mailbox.append(_mail("<ooo@example.net>", "I am away", Auto_Submitted="auto-replied"))
    assert poll_mailbox() == {"stored": 2, "duplicate": 1, "rejected": 1}
    assert mailbox.search("UNSEEN") == []
    assert len(mailbox.search("FLAGGED")) == 1  # the auto-reply, for a human to look at
    with db.session_scope() as session:
        codes = sorted(r.incident.code for r in session.scalars(select(Report)))
    assert codes == ["DCE26-1", "DCE26-2"]
    acks = inbox.wait_for(2)
    assert sorted(str(m["In-Reply-To"]) for m in acks) == ["<m1@example.net>", "None"]
    assert poll_mailbox() == {}  # nothing left unseen: nothing happens


def test_a_mail_that_cannot_be_stored_now_stays_unseen(
    servers: tuple[Mailbox, Inbox], sqlite_care: str, tmp_path: Path
) -> None:
    mailbox, _inbox = servers
    mailbox.append(_mail("<later@example.net>", "Please read this when you can."))
    key = os.environ["CARE_ENCRYPTION_KEY"]
    use_care(tmp_path, "postgresql+psycopg://care@127.0.0.1:9/down", key)  # database down
    assert poll_mailbox() == {"retry": 1}
    assert len(mailbox.search("UNSEEN")) == 1
    use_care(tmp_path, sqlite_care, key)  # back up: the next poll takes it
    assert poll_mailbox() == {"stored": 1}
    assert mailbox.search("UNSEEN") == []
