"""Urgent safety cases: page the on-call members by SMS until one acknowledges.

The guide: "Formal processes and guidelines must never get in the way of preventing
threats to anyone's safety." An incident flagged urgent is paged at once, by the event's
escalation policy: the primary on call, then the secondary, then everyone, again and again,
until any non-conflicted member acknowledges (SMS "ACK <code>", Slack, console, `care ack`,
or the form of the `acknowledge-<code>` run in the Prefect UI, which this flow creates).
Conflicted members are never paged. The acknowledging member is the first responder.

Re-entrant: started again after a crash, the run keeps the timetable (computed from the
time the incident became urgent), pages nobody twice and skips no round. The CARE host
sends the first round (``tasks.escalation.page_first_round``) before it creates the run,
so the first SMS never waits on Prefect; the run then carries on from the second round.
"""

from __future__ import annotations

from prefect import flow
from prefect.futures import PrefectFuture, wait

from policy.escalation import EscalationPolicy, next_escalation_round, round_due_at
from tasks.escalation import (
    await_round,
    page_round,
    read_escalation,
    record_exhausted,
    resume_pages,
)
from tasks.urgent_ack import close_ack_form, offer_ack_form


def _previous(policy: EscalationPolicy, round_index: int) -> int | None:
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
    form = offer_ack_form.submit(incident_code)  # take the case in the Prefect UI
    sending: list[PrefectFuture[list[str]]] = [
        resume_pages.submit(incident_code, round_index, page_ids)
        for round_index, page_ids in state.unsent.items()
    ]
    round_index = state.next_round
    while (due := round_due_at(policy, round_index)) is not None:
        deadline = state.started_at + due
        now = await_round(incident_code, round_index, deadline, _previous(policy, round_index))
        if now.team is None:  # acknowledged, closed or no longer urgent
            break
        page = next_escalation_round(
            policy,
            elapsed_s=due,
            rounds_done=round_index,
            members=now.team.members,
            conflicted=now.team.conflicted,
        )
        assert page is not None
        sending.append(page_round.submit(incident_code, round_index, page.targets))
        round_index += 1
    else:
        end = state.started_at + sum(step.wait_s for step in policy.steps)
        now = await_round(incident_code, round_index, end, None)
        if now.team is not None:
            record_exhausted(incident_code, round_index)
    wait(sending)
    close_ack_form(form.result())
    return "exhausted" if now.team is not None else now.outcome
