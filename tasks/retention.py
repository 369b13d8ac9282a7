"""Retention and erasure: what falls due after a conference, and carrying it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from prefect import task
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.prefect_api import start_deployed
from models import db
from models.db import utcnow
from models.settings import get_settings
from models.tables import Decision, Incident
from policy.retention import is_due, purge_due_on, report_starts_on_its_own
from record import erasure
from record.events import get_event, list_events
from record.purge import compact, purge_event


@dataclass
class DueWork:
    reports: list[str] = field(default_factory=list)  # event slugs
    purges: list[str] = field(default_factory=list)  # event slugs
    erasures: list[int] = field(default_factory=list)  # approved erasure decisions
    erasures_to_sign: list[int] = field(default_factory=list)  # pending, no sign-off run yet


@task(task_run_name="purge-due-{event_slug}")
def purge_is_due(event_slug: str, today: date | None = None) -> bool:
    with db.session_scope() as session:
        ends_on = get_event(session, event_slug).ends_on
    return is_due(purge_due_on(ends_on, get_settings().retention_days), today or utcnow().date())


@task(task_run_name="purge-{event_slug}")
def purge_edition(event_slug: str) -> dict[str, int]:
    with db.session_scope() as session:
        return dict(purge_event(session, get_event(session, event_slug)))


@task(task_run_name="compact-database")
def compact_database() -> None:
    compact(db.engine())


def _published(session: Session, event_id: int) -> bool:
    query = select(Decision.id).where(
        Decision.event_id == event_id,
        Decision.kind == "transparency_report",
        Decision.status == "approved",
    )
    return session.scalar(query) is not None


@task(task_run_name="find-due-work")
def find_due_work(today: date | None = None) -> DueWork:
    """Editions whose report or purge is due, and approved erasures not yet carried out."""
    today, retention, work = today or utcnow().date(), get_settings().retention_days, DueWork()
    with db.session_scope() as session:
        for event in list_events(session):
            purge_on = purge_due_on(event.ends_on, retention)
            if is_due(purge_on, today):
                unpurged = select(Incident.id).where(
                    Incident.event_id == event.id,
                    Incident.purged_at.is_(None),
                    Incident.closed_at.is_not(None),
                )
                if session.scalar(unpurged.limit(1)) is not None:
                    work.purges.append(event.slug)
            elif report_starts_on_its_own(event.ends_on, today) and not _published(
                session, event.id
            ):
                work.reports.append(event.slug)
        approved = select(Decision).where(Decision.kind == "erasure", Decision.status == "approved")
        work.erasures = [
            d.id for d in session.scalars(approved) if not (d.payload or {}).get("executed")
        ]
        pending = select(Decision.id).where(
            Decision.kind == "erasure", Decision.status == "pending", Decision.flow_run_id.is_(None)
        )
        work.erasures_to_sign = list(session.scalars(pending))
    return work


@task(task_run_name="start-{flow}-{event_slug}")
def start_flow(flow: str, event_slug: str) -> str:
    """Create the edition's run of a deployed flow, once (an idempotency key per edition)."""
    key = f"{flow}-{event_slug}"
    return start_deployed(
        flow, parameters={"event_slug": event_slug}, name=key, idempotency_key=key
    )


@task(task_run_name="erase-d{decision_id}")
def carry_out_erasure(decision_id: int) -> dict[str, int]:
    with db.session_scope() as session:
        return dict(erasure.execute(session, decision_id) or {})


@task(task_run_name="start-erase-person-d{decision_id}")
def start_erasure_signoff(decision_id: int) -> str:
    """Start the run that collects an erasure's sign-off in the Prefect UI, once."""
    return start_deployed(
        "erase-person",
        parameters={"decision_id": decision_id},
        name=f"erase-d{decision_id}",
        idempotency_key=f"erase-person-d{decision_id}",
    )
