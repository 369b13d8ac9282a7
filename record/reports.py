"""The one path every channel's report takes after its adapter has parsed it.

Store it (a second delivery changes nothing); then, off the request path,
``adapters.receipts.follow_up`` sends the reporter's receipt and tells the team. The CARE
host notices the new incident in the record and starts its lifecycle flow (and, if urgent,
its escalation) within a fraction of a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from models import db
from models.schemas import ReportIn
from record.incidents import store_report

log = logging.getLogger("care.intake")


@dataclass(frozen=True)
class Received:
    code: str
    report_id: int
    created: bool
    urgent: bool
    reachable: bool


def receive(report: ReportIn) -> Received:
    """Store one report in its own transaction; return what the adapter may show."""
    with db.session_scope() as session:
        incident, row, created = store_report(session, report)
        received = Received(
            code=incident.code,
            report_id=row.id,
            created=created,
            urgent=incident.urgent,
            reachable=report.reachable,
        )
    log.info("report %s stored for %s (new=%s)", received.report_id, received.code, created)
    return received
