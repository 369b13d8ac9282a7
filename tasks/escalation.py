"""The escalation's tasks: read where it stands, open a round, send its pages, wait for an ACK.

Deadlines are wall-clock times computed from ``Incident.urgent_at``, so a restarted run
keeps the same timetable. Task run names carry the case code and the round only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.paging import Claimed, claim_ahead, deliver_new_pages, deliver_pages
from models import db
from models.db import utcnow
from models.settings import get_settings
from models.tables import Incident, Page
from policy.escalation import next_escalation_round, round_due_at
from policy.members import MemberView
from record import audit
from record.incidents import conflicted_handles, get_incident
from record.leases import lease_held
from record.members import get_member, member_views
from record.timetable import TIMETABLE_LEASE, DueRound, escalation_policy, paging_stopped
from record.urgent_pages import (
    UNDELIVERED,
    add_page,
    page_key,
    recorded,
    round_pages,
    rounds_recorded,
)


@dataclass(frozen=True)
class Escalation:
    """Where an escalation stands: no personal data."""

    policy: dict[str, Any]
    started_at: float  # epoch seconds of Incident.urgent_at
    next_round: int  # rounds already recorded
    unsent: dict[int, list[int]]  # round -> ids of pages recorded but not handed over
    done: str | None  # acknowledged | closed | not-urgent


@dataclass(frozen=True)
class Team:
    members: dict[str, MemberView]
    conflicted: frozenset[str]


@task(task_run_name="read-escalation-{incident_code}", cache_policy=NO_CACHE)
def read_escalation(incident_code: str) -> Escalation:
    """Read the incident's escalation policy, its start and the rounds already paged."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        policy = escalation_policy(incident)
        started = incident.urgent_at.timestamp() if incident.urgent_at else time.time()
        unsent: dict[int, list[int]] = {}
        for page in session.scalars(select(Page).where(Page.incident_id == incident.id)):
            due = round_due_at(policy, page.round_index)
            ahead = page.status in ("queued", "ready")
            if ahead and due is not None and started + due > time.time():
                continue  # claimed ahead by the time-keeper, which sends it at its deadline
            if page.status in ("queued", "ready", "sending"):
                unsent.setdefault(page.round_index, []).append(page.id)
        return Escalation(
            policy=policy.to_dict(),
            started_at=started,
            next_round=rounds_recorded(session, incident),
            unsent=unsent,
            done=paging_stopped(incident),
        )


@dataclass(frozen=True)
class RoundStart:
    """Why a wait ended; at a round's deadline, who may be paged now."""

    outcome: str  # due | advanced | acknowledged | closed | not-urgent
    team: Team | None = None


def _read_team(session: Session, incident: Incident) -> Team:
    return Team(
        members=member_views(session, event_id=incident.event_id, at=utcnow()),
        conflicted=frozenset(conflicted_handles(session, incident.id)),
    )


def _round_failed(session: Session, incident: Incident, round_index: int | None) -> bool:
    if round_index is None:
        return False
    sms = [p for p in round_pages(session, incident, round_index) if p.channel == "sms"]
    return bool(sms) and all(p.status in UNDELIVERED for p in sms)


def _check(incident_code: str, advance_if_failed: int | None, due: bool) -> RoundStart | None:
    """One look at the record: stop, move on, or (None) keep waiting."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        stop = paging_stopped(incident)
        if stop is not None:
            return RoundStart(stop)
        if _round_failed(session, incident, advance_if_failed):
            return RoundStart("advanced", _read_team(session, incident))
        if due:
            return RoundStart("due", _read_team(session, incident))
        return None


@task(task_run_name="wait-{incident_code}-r{round_index}", cache_policy=NO_CACHE)
def await_round(
    incident_code: str, round_index: int, deadline: float, advance_if_failed: int | None
) -> RoundStart:
    """Wait for the round's deadline, checking the record for an ACK every poll interval.

    At the deadline (or as soon as every SMS of round ``advance_if_failed`` has failed:
    the next step need not wait) return who is on call and available now; or why paging
    stops.
    """
    poll = get_settings().escalation_poll_s
    while True:
        remaining = deadline - time.time()
        found = _check(incident_code, advance_if_failed, due=remaining <= 0)
        if found is not None:
            return found
        time.sleep(min(poll, max(remaining, 0.0)))


def _record_round(
    incident_code: str, round_index: int, handles: tuple[str, ...], session: Session
) -> list[int]:
    """Record the round's SMS pages in the session; return the new ones' ids.

    The run and the time-keeper may both reach a round's deadline: the pages' idempotency
    keys let one of them record it, and only the one that did writes the audit entry.
    """
    keys = [page_key(incident_code, round_index, handle, "sms") for handle in handles]
    # the other one recorded it already (the usual case for the second to come): no need
    # to wait on the pages' keys, or the audit chain, only to find that out
    if handles and recorded(session, keys) == len(keys):
        return []
    incident = get_incident(session, incident_code)
    if paging_stopped(incident) is not None:  # acknowledged (or closed) since it was due
        return []
    ids = []
    for handle in handles:
        member = get_member(session, handle)
        db.keep(session, member)  # sending the page needs it again
        page, created = add_page(session, incident, member, round_index=round_index, channel="sms")
        if created:
            ids.append(page.id)
    if ids or not handles:
        audit.record(
            session,
            actor="care",
            action="page.round" if handles else "page.nobody",
            incident_code=incident.code,
            round=round_index,
            members=list(handles),
        )
    return ids


def send_round(incident_code: str, round_index: int, handles: tuple[str, ...]) -> list[str]:
    """Record the round's pages and send them (recorded and claimed in one transaction)."""
    return deliver_new_pages(partial(_record_round, incident_code, round_index, handles))


# how long a run leaves a due round to the time-keeper before it pages the round itself
LEFT_TO_TIMEKEEPER_S = 2.0
LOOK_AGAIN_S = 0.5


def _paged_by_timekeeper(incident_code: str, round_index: int) -> list[str] | None:
    """The statuses of the round's SMS pages once the time-keeper has recorded them ([]
    if paging stopped meanwhile); None if no time-keeper keeps time, or if it has not
    recorded the round within ``LEFT_TO_TIMEKEEPER_S``."""
    give_up = time.monotonic() + LEFT_TO_TIMEKEEPER_S
    while True:
        with db.session_scope() as session:
            incident = get_incident(session, incident_code)
            pages = round_pages(session, incident, round_index)
            if sms := [page.status for page in pages if page.channel == "sms"]:
                return sms
            if paging_stopped(incident) is not None:
                return []
            if not lease_held(session, name=TIMETABLE_LEASE, now=utcnow()):
                return None
        if time.monotonic() > give_up:
            return None
        time.sleep(LOOK_AGAIN_S)


@task(task_run_name="page-{incident_code}-r{round_index}", cache_policy=NO_CACHE)
def page_round(incident_code: str, round_index: int, handles: tuple[str, ...]) -> list[str]:
    """Record the round's pages, then send them; return their statuses.

    While a time-keeper keeps time (``deployments.timekeeper``, holding the timetable's
    lease), the round is left to it: it pages at the deadline, and the run recording the
    same round at the same moment would only make both wait on the pages' keys and the
    audit chain. The run pages the round itself when no time-keeper does, or when the
    time-keeper has not recorded it within ``LEFT_TO_TIMEKEEPER_S``.
    """
    if handles and (statuses := _paged_by_timekeeper(incident_code, round_index)) is not None:
        return statuses
    return send_round(incident_code, round_index, handles)


def page_first_round(incident_code: str) -> list[str]:
    """Record and send the escalation's first round now, outside any flow run.

    The CARE host calls this as soon as it sees an urgent incident, before it asks Prefect
    for the escalation run, so the first SMS never waits on the orchestrator (busy, slow or
    down). The run then finds round 0 in the record and carries on from round 1, on the
    same timetable. Does nothing if paging must stop or a round is already recorded.
    """
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        if paging_stopped(incident) is not None or rounds_recorded(session, incident) > 0:
            return []
        policy = escalation_policy(incident)
        team = _read_team(session, incident)
    first = next_escalation_round(
        policy, elapsed_s=0.0, rounds_done=0, members=team.members, conflicted=team.conflicted
    )
    if first is None or not first.targets:
        return []  # nobody on call: the run records that round itself
    return send_round(incident_code, 0, first.targets)


def claim_due_round(due: DueRound) -> Claimed:
    """Record a round the timetable says is due soon and claim its pages ahead of the
    deadline, for the time-keeper to send at it (``send_claimed``); nothing claimed if it
    was recorded already, or paging stopped."""
    return claim_ahead(partial(_record_round, due.incident_code, due.round_index, due.targets))


def page_due_round(due: DueRound) -> list[str]:
    """Record and send a round the timetable says is due, outside any flow run.

    The time-keeper (``deployments.timekeeper``) calls this for every round due by the
    record, so paging goes on whether or not the incident's run is alive; a round already
    recorded (by the run, or another time-keeper) sends nothing.
    """
    return send_round(due.incident_code, due.round_index, due.targets)


@task(task_run_name="resume-{incident_code}-r{round_index}", cache_policy=NO_CACHE)
def resume_pages(incident_code: str, round_index: int, page_ids: list[int]) -> list[str]:
    """Send the pages a stopped run recorded but did not hand over."""
    return deliver_pages(page_ids, after_a_stop=True)


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
