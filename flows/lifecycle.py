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
from typing import Any

from prefect import flow
from prefect.input import RunInput

from flows import forms
from flows.signoff import await_decision, start_signoff_run
from flows.waiting import ask, current_run_id, sleep_until_woken
from models.settings import get_settings
from policy.signoff import DecisionKind
from policy.status import IncidentStatus as S
from record.review import ReviewIn
from tasks import lifecycle as t
from tasks.signoff import read_signoff, set_signoff_run


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
    return f"{name}-{code.lower()}-{round_}"


def _ask(
    code: str,
    step: str,
    form: Callable[[list[str]], type[RunInput]],
    text: str,
    store: Callable[[Any], None],
    parse: Any,
    people: list[str] | None = None,
) -> None:
    """Ask the members who may act (or the given ones) with a form; wait if there are none."""
    eligible = people if people is not None else t.read_incident(code).eligible
    if not eligible:
        sleep_until_woken(f"{step}-nobody")
    ask(form(eligible), step=step, description=text, store=store, parse=parse)


def describe(code: str, step: str, ask_for: str, problem: str | None = None) -> str:
    """A pause description: code, step, what is asked, and a link to the record."""
    view = t.read_incident(code)
    url = f"{get_settings().public_url}/console/incidents/{code}"
    lines = [
        f"## {code} · {step}",
        f"{'**URGENT** · ' if view.urgent else ''}{view.reports} report(s); "
        f"parties: {', '.join(view.parties) or 'none recorded yet'}",
        ask_for,
        f"Read the whole record first: [{code}]({url})",
    ]
    if problem:
        lines.append(f"**Last answer not recorded:** {problem}")
    return "\n\n".join(lines)


def start_unilateral_reviews(code: str) -> None:
    """An immediate action taken alone gets its team review (reminded until it is done)."""
    for decision_id in t.open_unilateral_reviews(code):
        view = read_signoff(decision_id)
        if view.flow_run_id is None:
            set_signoff_run(decision_id, start_signoff_run(view, notify_run_id=current_run_id()))


def review_until_signed_off(code: str) -> None:
    problem: list[str | None] = [None]
    while (stage := t.read_stage(code)).step != "done":
        if stage.step == "signoff":
            t.move_to(code, S.awaiting_signoff)
            await_decision(stage.decision_id or 0)
            continue
        if stage.step == "gather":
            t.move_to(code, S.gathering_information)
            outcome_id = stage.outcome_id or 0

            def findings(a: forms.FindingsAnswer, outcome_id: int = outcome_id) -> None:
                problem[0] = t.save_findings(code, outcome_id, a.member, a.code, a.findings)

            text = describe(
                code,
                "gather information",
                "Record what was found (the record says what the review asked for).",
                problem[0],
            )
            _ask(
                code,
                _step(code, "findings", stage.round),
                forms.findings_form,
                text,
                findings,
                forms.FindingsAnswer,
            )
            continue
        t.move_to(code, S.in_review)

        def store(a: forms.ReviewAnswer) -> None:
            problem[0] = t.save_review(code, _review_in(a))

        text = describe(
            code,
            f"review, round {stage.round}",
            "Record the team's review outcome, or ask for more information.",
            problem[0],
        )
        _ask(
            code,
            _step(code, "review", stage.round),
            forms.review_form,
            text,
            store,
            forms.ReviewAnswer,
        )


def _review_in(a: forms.ReviewAnswer) -> ReviewIn:
    return ReviewIn(
        reviewer=a.reviewer,
        code=a.code,
        needs_information=a.needs_more_information,
        information_to_gather=a.information_to_gather,
        what_happened=a.what_happened,
        category=a.category,
        violation=a.violation,
        bad_actors=a.pseudonyms(),
        intentional=a.intentional,
        severity=a.severity,
        resolutions=a.resolutions(),
        other_resolution=a.other_resolution,
        happened_in_public=a.happened_in_public,
        law_enforcement_involved=a.law_enforcement_involved,
        reporter_explanation=a.reporter_explanation,
        conflicts=a.conflicts(),
    )


def hold_conversations(code: str) -> None:
    problem: list[str | None] = [None]
    while conversations := t.plan_conversations(code):
        conversation_id = conversations[0]
        first, second, party = t.conversation_members(conversation_id)
        t.move_to(code, S.in_conversation)

        def store(a: forms.ConversationAnswer, conversation_id: int = conversation_id) -> None:
            problem[0] = t.save_conversation(
                code, conversation_id, a.member, a.code, a.notes, a.held
            )

        text = describe(
            code,
            f"conversation with {party}",
            f"{first} and {second} hold this conversation. Add the notes; tick when it took place.",
            problem[0],
        )
        _ask(
            code,
            _step(code, "conversation", conversation_id),
            forms.conversation_form,
            text,
            store,
            forms.ConversationAnswer,
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
    if await_decision(t.propose_statement_decision(code)) != "approved":
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
    problem: list[str | None] = [None]
    while True:
        latest = t.latest_decision(code, kind, report_id)
        if latest is None and first is not None:
            first()
            continue
        if latest is not None and latest[1] == "approved":
            return latest[0]
        if latest is not None and latest[1] == "pending":
            await_decision(latest[0])
            continue

        def store(a: forms.StatementAnswer) -> None:
            problem[0] = t.save_text(code, kind, a.member, a.code, a.text, report_id)

        what = "message to the reporter" if report_id is not None else "public statement"
        text = describe(
            code,
            what,
            f"Write the {what} (an earlier draft was objected to, "
            "or there is none yet); two members sign it off.",
            problem[0],
        )
        round_ = f"{report_id or 0}-{latest[0] if latest else 0}"
        _ask(
            code,
            _step(code, "text", round_),
            forms.statement_form,
            text,
            store,
            forms.StatementAnswer,
        )


def close(code: str) -> None:
    for decision_id in t.open_unilateral_reviews(code):
        await_decision(decision_id)  # an immediate action is reviewed before closing
    t.move_to(code, S.closed)
