"""The escalation timetable, read from the record: which rounds of pages are due now.

Each round's due time follows from the incident's `urgent_at` and its event's escalation
policy (`policy.escalation.round_due_at`); a round is done once its pages are in the
record. So whichever process keeps time can page a due round whether or not the
incident's Prefect run is alive, and the idempotency keys of the pages (`page_key`) make
the run and the time-keeper send each page once, whoever is first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.tables import Incident, Page
from policy.escalation import EscalationPolicy, escalation_targets, round_due_at
from policy.members import MemberView
from record.incidents import conflicted_handles
from record.members import member_views
from record.urgent_pages import UNDELIVERED

# the lease of the process that keeps the timetable (``deployments.timekeeper``)
TIMETABLE_LEASE = "escalation-timetable"
# the time-keeper records a round due this soon and claims its pages ("ready"), to send
# them at the deadline: at the deadline only sending is left, the least work between it
# and an SMS
CLAIM_AHEAD = timedelta(seconds=2)


@dataclass(frozen=True)
class DueRound:
    """A round of pages to send: the case code, the round and whom it pages.

    ``send_at``: its deadline, or the moment it was found if it need not wait for it (the
    round before failed)."""

    incident_code: str
    round_index: int
    due_at: datetime
    targets: tuple[str, ...]
    send_at: datetime


def escalation_policy(incident: Incident) -> EscalationPolicy:
    """The incident's event's escalation policy, or the default one."""
    stored = incident.event.escalation_policy
    return EscalationPolicy.from_dict(stored) if stored else EscalationPolicy.default()


def paging_stopped(incident: Incident) -> str | None:
    """Why paging must stop, if it must: not-urgent, acknowledged or closed."""
    if not incident.urgent or incident.urgent_at is None:
        return "not-urgent"
    if incident.urgent_acknowledged_at is not None:
        return "acknowledged"
    if incident.status == "closed":
        return "closed"
    return None


Recorded = dict[int, list[str]]  # round -> statuses of its SMS pages


def _rounds(session: Session, incident_ids: list[int]) -> dict[int, Recorded]:
    """Per incident: round -> statuses of its SMS pages (a round with any page at all is
    recorded), for many incidents in one query."""
    rounds: dict[int, Recorded] = {incident_id: {} for incident_id in incident_ids}
    if not incident_ids:
        return rounds
    query = select(Page.incident_id, Page.round_index, Page.channel, Page.status).where(
        Page.incident_id.in_(incident_ids)
    )
    for incident_id, round_index, channel, status in session.execute(query):
        sms = rounds[incident_id].setdefault(round_index, [])
        if channel == "sms":
            sms.append(status)
    return rounds


def _failed(statuses: list[str] | None) -> bool:
    return bool(statuses) and all(status in UNDELIVERED for status in statuses or [])


Team = dict[str, MemberView]


def due_round(
    session: Session,
    *,
    incident: Incident,
    now: datetime,
    ahead: timedelta = timedelta(0),
    first_after: timedelta = timedelta(0),
    teams: dict[int, Team] | None = None,
    recorded: Recorded | None = None,
) -> DueRound | None:
    """The incident's earliest round that is due and not recorded, with someone to page.

    ``ahead``: also a round due that soon (the caller waits for its ``send_at``).
    ``first_after``: the first round only once the case has been urgent this long (the
    host's first-round pager sends it at once; the time-keeper is the fallback). ``teams``
    caches each event's members as the policy sees them, for one look at many;
    ``recorded``: the incident's rounds in the record, if the caller read them already.
    """
    if paging_stopped(incident) is not None or incident.urgent_at is None:
        return None
    if recorded is None:
        recorded = _rounds(session, [incident.id])[incident.id]
    if now < incident.urgent_at + first_after and not recorded:
        return None
    policy = escalation_policy(incident)
    index = 0
    while (offset := round_due_at(policy, index)) is not None:
        due_at = incident.urgent_at + timedelta(seconds=offset)
        # a new step need not wait once every SMS of the round before it has failed
        early = 0 < index < len(policy.steps) and _failed(recorded.get(index - 1))
        if due_at > now + ahead and not early:
            return None
        if index not in recorded:
            step = policy.steps[min(index, len(policy.steps) - 1)]
            teams = {} if teams is None else teams
            if incident.event_id not in teams:
                teams[incident.event_id] = member_views(session, event_id=incident.event_id, at=now)
            members = teams[incident.event_id]
            conflicted = conflicted_handles(session, incident.id)
            targets = escalation_targets(step, members=members, conflicted=conflicted)
            if targets:  # nobody to page in this round: the next one may find someone
                send_at = now if early else due_at
                return DueRound(incident.code, index, due_at, targets, send_at)
        index += 1
    return None


def due_rounds(
    session: Session,
    *,
    now: datetime,
    ahead: timedelta = timedelta(0),
    first_after: timedelta = timedelta(0),
) -> list[DueRound]:
    """Every urgent incident's round that is due now, or within ``ahead`` (one per
    incident, the earliest; see ``due_round``).

    Two queries whatever the number of open urgent cases (the incidents, then all their
    pages), and more only for a round about to be recorded: the time-keeper asks this
    twice a second, and twenty urgent cases at once must not make it forty queries."""
    query = select(Incident).where(
        Incident.urgent.is_(True),
        Incident.urgent_acknowledged_at.is_(None),
        Incident.status != "closed",
    )
    incidents = list(session.scalars(query.order_by(Incident.id)))
    recorded = _rounds(session, [incident.id for incident in incidents])
    teams: dict[int, Team] = {}
    found = (
        due_round(
            session,
            incident=incident,
            now=now,
            ahead=ahead,
            first_after=first_after,
            teams=teams,
            recorded=recorded[incident.id],
        )
        for incident in incidents
    )
    return [due for due in found if due is not None]


def stalled_pages(session: Session, *, now: datetime, grace: timedelta) -> list[int]:
    """Pages recorded but never handed over for `grace` (their sender died), still wanted:
    queued that long, or claimed ahead ("ready") and not sent that long after their
    deadline (at most ``CLAIM_AHEAD`` after the claim)."""
    query = (
        select(Page.id)
        .join(Incident, Incident.id == Page.incident_id)
        .where(
            or_(
                and_(Page.status == "queued", Page.created_at < now - grace),
                and_(Page.status == "ready", Page.updated_at < now - grace - CLAIM_AHEAD),
            ),
            Incident.urgent.is_(True),
            Incident.urgent_acknowledged_at.is_(None),
            Incident.status != "closed",
        )
    )
    return list(session.scalars(query.order_by(Page.id)))
