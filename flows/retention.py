"""The retention purge, and the sweep that starts the work after each conference.

Personal data is kept only as long as the team needs it: ``settings.retention_days``
(180 by default) after an edition ends, its names, contacts, narratives, notes,
attachments and free texts are erased; the anonymised statistics and summaries stay, and
the audit trail is pseudonymised so it still verifies. The sweep runs on a schedule: it
starts each edition's transparency report the day after it ends, its purge when the
retention period is over, and carries out erasures the team has approved.
"""

from __future__ import annotations

from prefect import flow

from flows.signoff import await_decision
from policy.signoff import DecisionStatus
from tasks.retention import (
    carry_out_erasure,
    compact_database,
    find_due_work,
    purge_edition,
    purge_is_due,
    start_erasure_signoff,
    start_flow,
)

PURGE_FLOW = "purge-personal-data"
ERASE_FLOW = "erase-person"
REPORT_FLOW = "compile-transparency-report"


@flow(name=PURGE_FLOW, flow_run_name="purge-{event_slug}")
def purge_personal_data(event_slug: str, force: bool = False) -> dict[str, int]:
    """Erase an edition's personal data once its retention period is over."""
    if not force and not purge_is_due(event_slug):
        return {}
    counts = purge_edition(event_slug)
    compact_database()
    return counts


@flow(name="after-conference-sweep")
def after_conference_sweep() -> dict[str, list[str]]:
    """Start what is due: transparency reports, purges, approved erasures."""
    work = find_due_work()
    for slug in work.reports:
        start_flow(REPORT_FLOW, slug)
    for slug in work.purges:
        start_flow(PURGE_FLOW, slug)
    for decision_id in work.erasures:
        carry_out_erasure(decision_id)
    for decision_id in work.erasures_to_sign:
        start_erasure_signoff(decision_id)
    return {
        "reports": work.reports,
        "purges": work.purges,
        "erasures": [str(d) for d in work.erasures],
    }


@flow(name=ERASE_FLOW, flow_run_name="erase-d{decision_id}")
def erase_person(decision_id: int) -> str:
    """One person's erasure: wait for the two-member sign-off, then erase everywhere."""
    status = await_decision(decision_id)
    if status == DecisionStatus.approved:
        carry_out_erasure(decision_id)
    return status.value
