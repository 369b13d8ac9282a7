"""Acknowledge a report on the reporter's own channel, from the team-approved template.

The guide: "the CARE team acknowledges receipt as soon as possible and aims to be
understanding and compassionate ... no commitment to whether this is a violation or to
which action will be taken." The wording is a versioned file in ``adapters/templates/ack``;
``manifest.json`` names the version the team approved. Anonymous reports, and reporters
who did not agree to be contacted, get no message (the web form shows their case code).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

from sqlalchemy import update

from adapters.deliver import deliver
from adapters.outgoing import DeliveryError
from models import db
from models.db import utcnow
from models.tables import Report
from record import audit, outbox
from record.reports import Received

log = logging.getLogger("care.acknowledge")
TEMPLATES = Path(__file__).parent / "templates" / "ack"
# the reporter's kind of contact -> the channel the acknowledgement goes out on
CHANNEL_FOR_CONTACT = {"email": "email", "slack": "slack", "phone": "sms"}


@dataclass(frozen=True)
class AckText:
    version: str
    subject: str | None
    body: str


@lru_cache(maxsize=16)
def approved_version(directory: Path = TEMPLATES) -> str:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return str(manifest["approved"])


def render(channel: str, code: str, *, directory: Path = TEMPLATES) -> AckText:
    """The approved acknowledgement for a channel, with the case code filled in."""
    version = approved_version(directory)
    raw = (directory / f"{version}.{channel}.txt").read_text(encoding="utf-8")
    text = Template(raw).substitute(code=code)
    subject = None
    if text.startswith("Subject:"):
        first, _, text = text.partition("\n")
        subject = first.removeprefix("Subject:").strip()
    return AckText(version=version, subject=subject, body=text.strip() + "\n")


def acknowledge_report(report_id: int, *, attempts: int = 3, backoff_s: float = 1.0) -> str | None:
    """Queue and send the acknowledgement; return the message's status (None: nobody to ack)."""
    message_id = _queue(report_id)
    if message_id is None:
        return None
    status = "failed"
    for attempt in range(attempts):
        try:
            status = deliver(message_id)
            break
        except DeliveryError as exc:
            log.warning("ack message %s attempt %s failed", message_id, attempt + 1)
            if exc.permanent or attempt + 1 == attempts:
                return "failed"
            time.sleep(backoff_s * (2**attempt))
    if status == "sent":
        _mark_acknowledged(report_id, message_id)
    return status


def _queue(report_id: int) -> int | None:
    with db.session_scope() as session:
        report = session.get(Report, report_id)
        if report is None:
            raise ValueError(f"no report {report_id}")
        channel = CHANNEL_FOR_CONTACT.get(report.contact_kind or "")
        reachable = report.reporter_contact and report.consent_to_contact and not report.anonymous
        if not reachable or channel is None:
            return None
        assert report.reporter_contact is not None
        text = render(channel, report.incident.code)
        meta: dict[str, Any] = {"template": f"ack/{text.version}"}
        if channel == "email" and report.channel == "email" and report.thread_ref:
            meta |= {"in_reply_to": report.thread_ref, "references": report.thread_ref}
        message, _created = outbox.queue(
            session,
            channel=channel,
            purpose="acknowledgement",
            recipient=report.reporter_contact,
            body=text.body,
            subject=text.subject,
            meta=meta,
            idempotency_key=f"ack-report-{report.id}",
            incident=report.incident,
        )
        return message.id


def _mark_acknowledged(report_id: int, message_id: int) -> None:
    """Record the acknowledgement once, even when two follow-ups reach here together."""
    now = utcnow()
    with db.session_scope() as session:
        first = session.execute(  # type: ignore[attr-defined]
            update(Report)
            .where(Report.id == report_id, Report.acknowledged_at.is_(None))
            .values(acknowledged_at=now)
        ).rowcount
        if not first:
            return
        report = session.get(Report, report_id)
        assert report is not None
        if report.incident.acknowledged_at is None:
            report.incident.acknowledged_at = now
        audit.record(
            session,
            actor="care",
            action="report.acknowledge",
            incident_code=report.incident.code,
            report=report.id,
            message=message_id,
        )


def follow_up(received: Received) -> None:
    """Acknowledge the reporter and tell the team; safe to run again for the same report."""
    from adapters.notices import announce_report

    for step in (acknowledge_report, announce_report):
        try:
            step(received.report_id)
        except Exception:  # one failing channel must not stop the other
            log.exception("follow-up %s failed for report %s", step.__name__, received.report_id)
