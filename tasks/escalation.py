"""The escalation's tasks: read where it stands, open a round, send its pages, wait for an ACK.

Deadlines are wall-clock times computed from ``Incident.urgent_at``, so a restarted run
keeps the same timetable. Task run names carry the case code and the round only.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select

from models import audit, db
from models.db import utcnow
from models.incidents import conflicted_handles, get_incident
from models.members import get_member, member_views
from models.pages import FAILED, add_page, round_pages, rounds_recorded
from models.policy.escalation import EscalationPolicy
from models.policy.members import MemberView
from models.settings import get_settings
from models.tables import Incident, Page
from tasks.paging import deliver_page


@dataclass(frozen=True)
class Escalation:
    """Where an escalation stands: no personal data."""

    policy: dict[str, Any]
    started_at: float  # epoch seconds of Incident.urgent_at
    next_round: int  # rounds already recorded
    unsent: tuple[tuple[int, int], ...]  # (round, page id) recorded but not handed over
    done: str | None  # acknowledged | closed | not-urgent


@dataclass(frozen=True)
class Team:
    members: dict[str, MemberView]
    conflicted: frozenset[str]


def finished(incident: Incident) -> str | None:
    """Why paging must stop, if it must."""
    if not incident.urgent or incident.urgent_at is None:
        return "not-urgent"
    if incident.urgent_acknowledged_at is not None:
        return "acknowledged"
    if incident.status == "closed":
        return "closed"
    return None


@task(task_run_name="read-escalation-{incident_code}", cache_policy=NO_CACHE)
def read_escalation(incident_code: str) -> Escalation:
    """Read the incident's escalation policy, its start and the rounds already paged."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        stored = incident.event.escalation_policy
        policy = EscalationPolicy.from_dict(stored) if stored else EscalationPolicy.default()
        unsent = [
            (p.round_index, p.id)
            for p in session.scalars(select(Page).where(Page.incident_id == incident.id))
            if p.status in ("queued", "sending")
        ]
        started = incident.urgent_at.timestamp() if incident.urgent_at else time.time()
        return Escalation(
            policy=policy.to_dict(),
            started_at=started,
            next_round=rounds_recorded(session, incident),
            unsent=tuple(sorted(unsent)),
            done=finished(incident),
        )


@task(task_run_name="team-{incident_code}-r{round_index}", cache_policy=NO_CACHE)
def read_team(incident_code: str, round_index: int) -> Team:
    """Who is active, on call and without a conflict right now."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        return Team(
            members=member_views(session, event_id=incident.event_id, at=utcnow()),
            conflicted=frozenset(conflicted_handles(session, incident.id)),
        )


@task(task_run_name="open-{incident_code}-r{round_index}", cache_policy=NO_CACHE)
def open_round(incident_code: str, round_index: int, handles: tuple[str, ...]) -> list[int]:
    """Record the round's SMS pages, all in one transaction; return their ids."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        audit.record(
            session,
            actor="care",
            action="page.round" if handles else "page.nobody",
            incident_code=incident.code,
            round=round_index,
            members=list(handles),
        )
        ids = []
        for handle in handles:
            member = get_member(session, handle)
            page, created = add_page(
                session, incident, member, round_index=round_index, channel="sms"
            )
            if created:
                ids.append(page.id)
        return ids


@task(task_run_name="page-{incident_code}-r{round_index}", cache_policy=NO_CACHE)
def send_pages(incident_code: str, round_index: int, page_ids: list[int]) -> list[str]:
    """Send a round's pages side by side (a slow one holds up no other); return statuses."""
    if not page_ids:
        return []
    with ThreadPoolExecutor(max_workers=min(len(page_ids), 16)) as pool:
        return list(pool.map(deliver_page, page_ids))


def _round_failed(incident: Incident, round_index: int | None) -> bool:
    if round_index is None:
        return False
    with db.session_scope() as session:
        sms = [p for p in round_pages(session, incident, round_index) if p.channel == "sms"]
        return bool(sms) and all(p.status in FAILED for p in sms)


@task(task_run_name="wait-{incident_code}-r{round_index}", cache_policy=NO_CACHE)
def await_acknowledgement(
    incident_code: str, round_index: int, deadline: float, advance_if_failed: int | None
) -> str:
    """Wait until the round's deadline, checking the record often.

    Returns ``due`` at the deadline; ``advanced`` as soon as every SMS of round
    ``advance_if_failed`` has failed (the next step need not wait); or why paging stops.
    """
    poll = get_settings().escalation_poll_s
    while True:
        with db.session_scope() as session:
            incident = get_incident(session, incident_code)
            stop = finished(incident)
        if stop is not None:
            return stop
        if _round_failed(incident, advance_if_failed):
            return "advanced"
        remaining = deadline - time.time()
        if remaining <= 0:
            return "due"
        time.sleep(min(poll, remaining))


@task(task_run_name="exhausted-{incident_code}", cache_policy=NO_CACHE)
def record_exhausted(incident_code: str, rounds: int) -> None:
    """Record that the policy ran out with nobody acknowledging."""
    with db.session_scope() as session:
        audit.record(
            session,
            actor="care",
            action="escalation.exhausted",
            incident_code=incident_code,
            rounds=rounds,
        )
