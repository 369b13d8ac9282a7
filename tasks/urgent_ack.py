"""Acknowledging an urgent case in the Prefect UI: what its form shows, and the answer.

The `acknowledge-urgent` run of an urgent incident waits with a form: the member (from the
active members without a conflict) and their authenticator code, because the Prefect
server has one shared login. The answer counts through ``record.acts.acknowledge``, as
an SMS reply, a Slack click, the console or `care ack` do.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select

from adapters.prefect_api import start_deployed, wake
from models import db
from models.answers import AckAnswer
from models.tables import AuditEntry
from models.validation import InvalidInput
from policy.members import available
from policy.refusals import not_counted
from record.acts.acknowledge import Acknowledged, take_urgent_case
from record.incidents import conflicted_handles, get_incident
from record.members import member_views
from record.timetable import paging_stopped

FLOW_NAME = "acknowledge-urgent"
log = logging.getLogger("care.urgent_ack")


@dataclass(frozen=True)
class AckView:
    """What the form may show: no personal data."""

    incident_code: str
    done: str | None  # acknowledged | closed | not-urgent
    eligible: list[str]
    last_refusal: str | None


@task(task_run_name="read-ack-{incident_code}", cache_policy=NO_CACHE)
def read_ack(incident_code: str) -> AckView:
    """Whether the case still waits for someone to take it, and who may."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        members = member_views(session)
        eligible = sorted(available(members, conflicted_handles(session, incident.id)))
        last = session.scalar(
            select(AuditEntry)
            .where(
                AuditEntry.incident_code == incident.code,
                AuditEntry.action.in_(("page.ack", "page.ack_refused")),
            )
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
        detail = json.loads(last.detail) if last is not None else {}
        refused = last is not None and last.action == "page.ack_refused"
        why = detail.get("refusal") if refused and detail.get("channel") == "ui" else None
        refusal = not_counted(last.actor or "a member", why) if last and why else None
        return AckView(incident.code, paging_stopped(incident), eligible, refusal)


def record_ack(
    incident_code: str, answer: AckAnswer, submitted_at: datetime | None = None
) -> Acknowledged | None:
    """Count a member's acknowledgement given in the Prefect UI as any channel's (taken
    already: a later acknowledgement); None if the case is no longer urgent."""
    try:
        with db.session_scope() as session:
            return take_urgent_case(
                session,
                incident_code=incident_code,
                handle=answer.member,
                channel="ui",
                code=answer.code,
                submitted_at=submitted_at,
            )
    except InvalidInput:
        return None


@task(task_run_name="offer-ack-{incident_code}", cache_policy=NO_CACHE)
def offer_ack_form(incident_code: str) -> str | None:
    """Create the incident's `acknowledge-urgent` run (once); its id, or None if it could
    not be created (paging never depends on it)."""
    try:
        return start_deployed(
            FLOW_NAME,
            parameters={"incident_code": incident_code},
            name=f"acknowledge-{incident_code}",
            idempotency_key=f"{FLOW_NAME}-{incident_code}",
        )
    except Exception as exc:
        log.warning(
            "%s: no acknowledgement form in Prefect (%s)", incident_code, type(exc).__name__
        )
        return None


@task(task_run_name="close-ack-form", cache_policy=NO_CACHE)
def close_ack_form(run_id: str | None) -> None:
    """Wake the form's run once paging has stopped: it sees why and ends."""
    try:
        wake(run_id)
    except Exception as exc:  # the host's sweep does not know this run: say so
        log.warning("could not close the acknowledgement form %s (%s)", run_id, type(exc).__name__)
