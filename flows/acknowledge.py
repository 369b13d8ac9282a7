"""Take an urgent case from the Prefect UI: the `acknowledge-urgent` run's form.

The escalation creates this run when it starts. Its form asks who you are (from the
active members without a conflict on the case) and your authenticator code. A counted
answer makes you the first responder and stops the paging, exactly as "ACK <code>" by
SMS would. When the case is taken elsewhere, the escalation wakes this run and it ends.
"""

from __future__ import annotations

from prefect import flow

from adapters.follow_up import carry_out
from flows.forms import ask_form
from flows.waiting import answered_at, current_run_id, sleep_until_woken
from models.settings import get_settings
from tasks.urgent_ack import FLOW_NAME, AckAnswer, AckView, read_ack, record_ack


def describe(view: AckView) -> str:
    code = view.incident_code
    lines = [
        f"## URGENT {code}: someone may be in danger now",
        "Take the case: you become its first responder and the paging stops.",
        f"The record: [{code}]({get_settings().public_url}/console/incidents/{code})",
    ]
    if view.last_refusal:
        lines.insert(0, f"**Last answer not counted:** {view.last_refusal}. Try again.")
    return "\n\n".join(lines)


@flow(name=FLOW_NAME, retries=2, retry_delay_seconds=2)
def acknowledge_urgent(incident_code: str) -> str:
    """Wait for a member to take the case here; end once it is taken, closed or calm."""
    while True:
        view = read_ack(incident_code)
        if view.done:
            return view.done
        if not view.eligible:  # every member is conflicted: the form has nobody to offer
            sleep_until_woken("ack-blocked")

        def store(answer: AckAnswer) -> None:
            taken = record_ack(incident_code, answer, answered_at())
            if taken is not None:
                carry_out(taken.follow, running=str(current_run_id()))

        ask_form(AckAnswer, view.eligible, step="ack", description=describe(view), store=store)
