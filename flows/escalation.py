"""Urgent safety cases: page the on-call members by SMS until one acknowledges.

The guide: "Formal processes and guidelines must never get in the way of preventing
threats to anyone's safety." An incident flagged urgent is paged at once, by the event's
escalation policy: the primary on call, then the secondary, then everyone, again and again,
until any non-conflicted member acknowledges (SMS "ACK <code>", Slack, console, `care ack`).
Conflicted members are never paged. The acknowledging member is the first responder.

Re-entrant: started again after a crash, the run keeps the timetable (computed from the
time the incident became urgent), pages nobody twice and skips no round.
"""

from __future__ import annotations

from prefect import flow
from prefect.futures import PrefectFuture, wait

from models.policy.escalation import EscalationPolicy, next_escalation_round, round_due_at
from tasks.escalation import (
    await_acknowledgement,
    open_round,
    read_escalation,
    read_team,
    record_exhausted,
    send_pages,
)


def _previous_if_new_step(policy: EscalationPolicy, round_index: int) -> int | None:
    """The round before, if this round pages a new step (so a failed round need not wait)."""
    if round_index == 0 or round_index >= len(policy.steps):
        return None
    return round_index - 1


@flow(name="escalate-incident", flow_run_name="escalate-{incident_code}")
def escalate_incident(incident_code: str) -> str:
    """Page by the escalation policy until a member acknowledges; return why it stopped."""
    state = read_escalation(incident_code)
    if state.done:
        return state.done
    policy = EscalationPolicy.from_dict(state.policy)
    sending: list[PrefectFuture[list[str]]] = [
        send_pages.submit(incident_code, round_index, [page_id])
        for round_index, page_id in state.unsent
    ]
    round_index = state.next_round
    outcome = "exhausted"
    while (due := round_due_at(policy, round_index)) is not None:
        outcome = await_acknowledgement(
            incident_code,
            round_index,
            state.started_at + due,
            _previous_if_new_step(policy, round_index),
        )
        if outcome not in ("due", "advanced"):
            break
        team = read_team(incident_code, round_index)
        page_round = next_escalation_round(
            policy,
            elapsed_s=0,
            rounds_done=round_index,
            members=team.members,
            conflicted=team.conflicted,
        )
        assert page_round is not None
        page_ids = open_round(incident_code, round_index, page_round.targets)
        sending.append(send_pages.submit(incident_code, round_index, page_ids))
        round_index += 1
    else:
        last_wait = state.started_at + sum(step.wait_s for step in policy.steps)
        outcome = await_acknowledgement(incident_code, round_index, last_wait, None)
        if outcome == "due":
            outcome = "exhausted"
            record_exhausted(incident_code, round_index)
    wait(sending)
    return outcome
