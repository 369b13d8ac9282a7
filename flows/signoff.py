"""Two-member sign-off ("members almost never act alone, replies included").

`collect_signoff` is one run per decision. Its form in the Prefect UI asks who you are
(from the members who may still approve), approve or object, a comment and your
authenticator code. Whoever answers, in the UI, the CLI, Slack or the console, the same
act (`record.acts.answer`) decides whether the answer counts; a refused answer is kept
with its reason and the step waits on. Each counted answer is announced to the team
channel (`adapters.follow_up`), so an approval given in someone else's name is seen at once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.input import RunInput

from adapters.follow_up import carry_out
from adapters.notices import announce_decision
from adapters.prefect_api import start_deployed, wake
from flows import pause_keys
from flows.forms import prefect_form
from flows.waiting import answered_at, ask, current_run_id, sleep_until_woken
from models.settings import get_settings
from policy.refusals import counted
from policy.signoff import TEXT_KINDS, DecisionKind, DecisionStatus
from tasks.signoff import SignoffAnswer, SignoffView, count_answer, read_signoff, set_signoff_run

FLOW_NAME = "collect-signoff"


def signoff_form(eligible: list[str]) -> type[RunInput]:
    """The Prefect UI form: the member is chosen from those who may still approve."""
    return prefect_form(SignoffAnswer, eligible)


def describe(view: SignoffView) -> str:
    """The pause description: code, what is proposed, who approved, a link to the record."""
    settings = get_settings()
    code = view.incident_code or "team"
    lines = [
        f"## Sign-off {code} · decision {view.decision_id} ({view.kind.replace('_', ' ')})",
        f"**Proposed:** {view.summary}",
        f"**Approvals:** {len(view.approvers)} of {view.required} needed"
        + (f" ({', '.join(view.approvers)})" if view.approvers else ""),
        f"**May still approve:** {', '.join(view.eligible)}",
    ]
    if view.kind in TEXT_KINDS:
        lines.append(text_to_read(view, settings.public_url))
    elif view.incident_code:
        lines.append(
            f"Read the record first: [{code}]({settings.public_url}/console/incidents/{code})"
        )
    if view.last_refusal:
        lines.insert(0, f"**Last answer not counted:** {view.last_refusal}. Try again.")
    elif view.last_counted:
        lines.insert(0, f"**The approval of {view.last_counted} was recorded.**")
    elif view.kind == DecisionKind.review_outcome and view.proposer and view.incident_code:
        lines.insert(
            0,
            f"**{counted('review', view.incident_code, view.proposer)}**; next: "
            "its sign-off, here.",
        )
    lines.append("Approving proves who you are with your authenticator code; it is used once.")
    return "\n\n".join(lines)


TEXTS = {
    DecisionKind.reporter_message: "the message to the reporter",
    DecisionKind.public_statement_text: "the public statement",
}


def text_to_read(view: SignoffView, public_url: str) -> str:
    """What the text is and where to read it; the text itself never goes into Prefect."""
    what = TEXTS[DecisionKind(view.kind)]
    by = f"written by {view.proposer}" if view.proposer else "drafted by CARE"
    link = f"{public_url.rstrip('/')}/console/decisions/{view.decision_id}"
    return (
        f"**The text:** {what}, {by}. Read it in full in the console before you approve: "
        f"[decision {view.decision_id}]({link}). An approval counts only from a member "
        "who has opened it there."
    )


def _store(decision_id: int) -> Any:
    def store(answer: SignoffAnswer) -> None:
        answered = count_answer(decision_id, answer, answered_at())
        carry_out(answered.follow, running=str(current_run_id()))

    return store


# No flow_run_name: the engine would rename the run and drop the incident code that
# start_signoff_run puts in its name (signoff-<CODE>-d<id>).
@flow(name=FLOW_NAME, retries=2, retry_delay_seconds=2)
def collect_signoff(decision_id: int, notify_run_id: str | None = None) -> str:
    """Collect answers until the decision is approved or objected to; wake the asker."""
    announce_decision(decision_id)
    while True:
        view = read_signoff(decision_id)
        if view.status != DecisionStatus.pending:
            wake(notify_run_id)
            return view.status.value
        if not view.eligible:  # nobody may approve: wait for a waiver or a new member
            sleep_until_woken(pause_keys.signoff_blocked(decision_id))
        ask(
            signoff_form(view.eligible),
            step=pause_keys.signoff_form(decision_id),
            description=describe(view),
            store=_store(decision_id),
            parse=SignoffAnswer,
        )


def await_decision(decision_id: int) -> DecisionStatus:
    """Inside a flow: return the decision's outcome, suspending until it has one."""
    view = read_signoff(decision_id)
    if view.status != DecisionStatus.pending:
        return view.status
    if not _collecting(view.flow_run_id):
        run_id = start_signoff_run(view, notify_run_id=current_run_id())
        set_signoff_run(decision_id, run_id)
    sleep_until_woken(pause_keys.awaiting_decision(decision_id))


def _collecting(flow_run_id: str | None) -> bool:
    """Whether a sign-off run exists and has not ended (a crashed one is replaced)."""
    if not flow_run_id:
        return False
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(flow_run_id)).state
    return state is not None and not state.is_final()


def start_signoff_run(view: SignoffView, *, notify_run_id: UUID | None) -> str:
    """Create the decision's `collect-signoff` run; return its id."""
    return start_deployed(
        FLOW_NAME,
        parameters={
            "decision_id": view.decision_id,
            "notify_run_id": str(notify_run_id) if notify_run_id else None,
        },
        name=f"signoff-{view.incident_code or 'team'}-d{view.decision_id}",
    )
