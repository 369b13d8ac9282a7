"""`handle_incident`: one incident, from the report to its close, as the guide describes it.

Acknowledge; review as a team (what happened, a violation?, who, what resolution), or
gather more information first; two members sign the outcome off; two members hold each
conversation with a bad actor, their notes going into the record; whoever carries out a
resolution is told the case code and the action only; the reporter is told what was done
and why, in a message two members signed off; if it happened in public, the team decides
together whether to make a statement, and signs its text off; then the incident closes.

The run suspends whenever it waits for people (holding no process) and runs again from
the top when it is resumed: each step reads the record and skips what is already done.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from prefect import flow

from flows.feedback import announce_step, heard
from flows.forms import ask_form
from flows.signoff import await_decision, start_signoff_run
from flows.waiting import answered_at, current_run_id, sleep_until_woken
from models.answers import (
    ConversationAnswer,
    FindingsAnswer,
    FormAnswer,
    ReviewAnswer,
    StatementAnswer,
)
from models.settings import get_settings
from policy.refusals import counted
from policy.signoff import DecisionKind, DecisionStatus
from policy.status import IncidentStatus as S
from policy.waiting import StepKind, step_name
from record.review import ReviewStage
from tasks import lifecycle as t
from tasks.signoff import read_signoff, set_signoff_run

A = TypeVar("A", bound=FormAnswer)
Last = t.StepFeedback | None  # what came of the last answer (the next form says so)


@flow(
    name="handle-incident",
    flow_run_name="incident-{incident_code}",
    retries=3,
    retry_delay_seconds=5,
)
def handle_incident(incident_code: str) -> str:
    """Carry one incident through the team's process; safe to run again at any point."""
    code = t.read_incident(incident_code).code
    t.move_to(code, S.acknowledged)
    start_unilateral_reviews(code)
    review_until_signed_off(code)
    hold_conversations(code)
    enact_resolutions(code)
    inform_reporters(code)
    decide_public_statement(code)
    close(code)
    return code


def _step(code: str, name: str, round_: int | str) -> str:
    return step_name(StepKind(name), code, round_)


def _ask(
    code: str,
    step: str,
    definition: type[A],
    text: str,
    store: Callable[[A], t.StepFeedback],
    people: list[str] | None = None,
) -> Last:
    """Ask the members who may act (or the given ones) with a form; wait if there are none.

    Returns what came of the answer (the next form says whether it counted).
    """
    eligible = people if people is not None else t.read_incident(code).eligible
    if not eligible:
        sleep_until_woken(f"{step}-nobody")
    announce_step(code, step)  # the team channel hears of it, and of each answer
    return ask_form(
        definition, eligible, step=step, description=text, store=heard(code, step, store)
    )


def describe(code: str, step: str, ask_for: str, last: Last = None) -> str:
    """A pause description: whether the last answer counted, code, step, what is asked,
    and a link to the record."""
    view = t.read_incident(code)
    url = f"{get_settings().public_url}/console/incidents/{code}"
    lines = [
        *([said(code, last, ask_for)] if last is not None else []),
        f"## {code} · {step}",
        f"{'**URGENT** · ' if view.urgent else ''}{view.reports} report(s); "
        f"parties: {', '.join(view.parties) or 'none recorded yet'}",
        ask_for,
        f"Read the whole record first: [{code}]({url})",
    ]
    return "\n\n".join(lines)


def said(code: str, last: t.StepFeedback, next_: str) -> str:
    """Whether the last answer counted, and if not why and where to finish it."""
    if last.counted:
        return f"**{counted(last.what, code, last.member or 'a member')}**; next: {next_}"
    line = f"**Last answer not recorded:** {(last.reason or 'it was refused').rstrip('.')}."
    if last.draft_id is not None and last.member:
        line += (
            f" Finish it in the console: {get_settings().public_url}/console/drafts/{last.draft_id}"
        )
    return line


def start_unilateral_reviews(code: str) -> None:
    """An immediate action taken alone gets its team review (reminded until it is done)."""
    for decision_id in t.open_unilateral_reviews(code):
        view = read_signoff(decision_id)
        if view.flow_run_id is None:
            set_signoff_run(decision_id, start_signoff_run(view, notify_run_id=current_run_id()))


def review_until_signed_off(code: str) -> None:
    problem: Last = None  # what came of the last answer
    while (stage := t.read_stage(code)).step != "done":
        if stage.step == "signoff":
            t.move_to(code, S.awaiting_signoff)
            await_decision(stage.decision_id or 0)
            problem = None
        elif stage.step == "gather":
            problem = gather_information(code, stage, problem)
        else:
            problem = review(code, stage, problem)


def gather_information(code: str, stage: ReviewStage, problem: Last) -> Last:
    """Ask for what the review wanted to know; return what came of the answer."""
    t.move_to(code, S.gathering_information)
    text = describe(
        code,
        "gather information",
        "Record what was found (the record says what the review asked for).",
        problem,
    )
    outcome_id = stage.outcome_id or 0
    step = _step(code, "findings", stage.round)
    return _ask(
        code,
        step,
        FindingsAnswer,
        text,
        lambda answer: t.save_findings(code, step, outcome_id, answer, answered_at()),
    )


def review(code: str, stage: ReviewStage, problem: Last) -> Last:
    """Ask for the team's review outcome; return what came of the answer."""
    t.move_to(code, S.in_review)
    text = describe(
        code,
        f"review, round {stage.round}",
        "Record the team's review outcome, or ask for more information.",
        problem,
    )
    step = _step(code, "review", stage.round)
    return _ask(
        code,
        step,
        ReviewAnswer,
        text,
        lambda answer: t.save_review(code, step, stage.round, answer, answered_at()),
    )


def hold_conversations(code: str) -> None:
    problem: Last = None  # what came of the last answer
    while conversations := t.plan_conversations(code):
        problem = hold_conversation(code, conversations[0], problem)


def hold_conversation(code: str, conversation_id: int, problem: Last) -> Last:
    """Ask the two members of a conversation for its notes; return what came of them."""
    first, second, party = t.conversation_members(conversation_id)
    t.move_to(code, S.in_conversation)
    text = describe(
        code,
        f"conversation with {party}",
        f"{first} and {second} hold this conversation. Add the notes; tick when it took place.",
        problem,
    )
    step = _step(code, "conversation", conversation_id)
    return _ask(
        code,
        step,
        ConversationAnswer,
        text,
        lambda answer: t.save_conversation(code, step, conversation_id, answer, answered_at()),
        people=[first, second],
    )


def enact_resolutions(code: str) -> None:
    messages = t.queue_enactments(code)
    if messages:
        t.move_to(code, S.enacting)
    for message_id in messages:
        t.send_message(message_id)


def inform_reporters(code: str) -> None:
    """Tell each reachable reporter the outcome in a signed-off message; record the rest."""
    reachable, _skipped = t.reporter_reports(code)
    for report_id in reachable:
        t.move_to(code, S.informing_reporter)
        approved = signed_off_text(
            code,
            DecisionKind.reporter_message,
            report_id=report_id,
            first=partial(t.draft_reporter_message, code, report_id),
        )
        t.send_message(t.queue_reporter_message(code, approved))


def decide_public_statement(code: str) -> None:
    if not t.read_incident(code).happened_in_public:
        return
    t.move_to(code, S.public_statement)
    if await_decision(t.propose_statement_decision(code)) != DecisionStatus.approved:
        return
    approved = signed_off_text(code, DecisionKind.public_statement_text)
    t.publish_statement(code, approved)


def signed_off_text(
    code: str,
    kind: DecisionKind,
    *,
    report_id: int | None = None,
    first: Callable[[], int] | None = None,
) -> int:
    """A text two members signed off: the draft, or a member's rewrite after an objection."""
    problem: Last = None  # what came of the last answer
    while True:
        latest = t.latest_decision(code, kind, report_id)
        if latest is None and first is not None:
            first()
        elif latest is not None and latest.status == DecisionStatus.approved:
            return latest.id
        elif latest is not None and latest.status == DecisionStatus.pending:
            await_decision(latest.id)
            problem = None
        else:
            problem = write_text(code, kind, report_id, latest, problem)


def write_text(
    code: str,
    kind: DecisionKind,
    report_id: int | None,
    latest: t.LatestDecision | None,
    problem: Last,
) -> Last:
    """Ask a member to (re)write the text; return what came of it."""
    what = "message to the reporter" if report_id is not None else "public statement"
    text = describe(
        code,
        what,
        f"Write the {what} (an earlier draft was objected to, "
        "or there is none yet); two members sign it off.",
        problem,
    )
    latest_id = latest.id if latest else 0
    step = _step(code, "text", f"{report_id or 0}-{latest_id}")
    return _ask(
        code,
        step,
        StatementAnswer,
        text,
        lambda answer: t.save_text(code, step, kind, report_id, latest_id, answer, answered_at()),
    )


def close(code: str) -> None:
    for decision_id in t.open_unilateral_reviews(code):
        await_decision(decision_id)  # an immediate action is reviewed before closing
    t.move_to(code, S.closed)
