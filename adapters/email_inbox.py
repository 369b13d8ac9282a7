"""Store one inbound e-mail: parse it, join the case it answers, store it once.

Shared by the MTA pipe (``care intake email``) and the IMAP poller (``poll-mailbox``).
A reply to one of CARE's own messages (matched on In-Reply-To / References against the
Message-IDs CARE sent) is added to that case instead of opening a new one.
"""

from __future__ import annotations

from sqlalchemy import select

from adapters.email_parse import parse_message, references
from models import db
from models.tables import Incident, Message
from record import reports

# exit codes of sendmail-style delivery programs (sysexits.h)
EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75


def ingest(raw: bytes) -> reports.Received:
    """Parse and store one message; NotAReport for a message that cannot be a report."""
    report = parse_message(raw)
    code = answered_case(references(raw))
    if code is not None:
        report = report.model_copy(update={"incident_code": code})
    return reports.receive(report)


def answered_case(message_ids: list[str]) -> str | None:
    """The case code of the CARE message this mail answers, if any."""
    if not message_ids:
        return None
    with db.session_scope() as session:
        return session.scalar(
            select(Incident.code)
            .join(Message, Message.incident_id == Incident.id)
            .where(Message.provider_id.in_(message_ids), Message.channel == "email")
            .limit(1)
        )
