"""Incident runs that stopped with an error are started again, and the team is told.

A lifecycle or escalation run that fails for good (its retries spent: a bug, a long
outage) or crashes would leave its incident with no flow: no forms, no reminders, no
pages. The CARE host's sweep finds such runs of open incidents and starts a new run (the
flows are re-entrant: it carries on where the record stands), at most ``MAX_RESTARTS``
times per incident and flow. Each restart, and giving up, is told in the team channel
and written to the audit trail.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select

from models import db
from models.tables import AuditEntry, Incident
from record import audit

log = logging.getLogger("care.revive")
MAX_RESTARTS = 3


def stopped(column: Any, failed_run_ids: Collection[str]) -> list[tuple[int, str, str]]:
    """(id, code, run id) of the open incidents whose run (in ``column``) is one of these."""
    if not failed_run_ids:
        return []
    query = select(Incident.id, Incident.code, column).where(
        column.in_(list(failed_run_ids)), Incident.closed_at.is_(None)
    )
    with db.session_scope() as session:
        return [(incident_id, code, run_id) for incident_id, code, run_id in session.execute(query)]


def _entries(session: Any, code: str, action: str, flow_name: str) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                AuditEntry.incident_code == code,
                AuditEntry.action == action,
                AuditEntry.detail.contains(f'"flow":"{flow_name}"'),
            )
        )
    )


def next_attempt(code: str, flow_name: str, run_id: str) -> int | None:
    """Record a restart of the incident's stopped run and tell the team; return its number,
    or None once ``MAX_RESTARTS`` are spent (the team is told that once)."""
    from adapters.notices import announce_flow_stopped

    with db.session_scope() as session:
        done = _entries(session, code, "flow.restarted", flow_name)
        if done >= MAX_RESTARTS:
            if _entries(session, code, "flow.gave_up", flow_name):
                return None
            audit.record(
                session, actor="care", action="flow.gave_up", incident_code=code, flow=flow_name
            )
            attempt = None
        else:
            attempt = done + 1
            audit.record(
                session,
                actor="care",
                action="flow.restarted",
                incident_code=code,
                flow=flow_name,
                attempt=attempt,
            )
    done_for = "gave up" if attempt is None else f"restart {attempt} of {MAX_RESTARTS}"
    log.warning("%s: the %s run %s stopped with an error: %s", code, flow_name, run_id, done_for)
    try:
        announce_flow_stopped(code, flow_name, run_id, attempt=attempt, of=MAX_RESTARTS)
    except Exception as exc:  # the restart must not wait for Slack
        log.warning("could not tell the team channel about %s: %s", code, type(exc).__name__)
    return attempt
