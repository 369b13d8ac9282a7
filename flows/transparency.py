"""The transparency report after each conference.

The guide: "After each conference, the CARE team will publish a Code of Conduct
transparency report with anonymized information", decided together and with care "not to
divulge personally identifying information about anyone affected". So: the team writes an
anonymised summary of each incident (or chooses none); the report is drafted from the
records and checked against every piece of personal data they hold; the draft is shown in
the Prefect UI; a majority of the team signs exactly that draft off; then it is published
as Markdown and as a self-contained HTML page.
"""

from __future__ import annotations

from functools import partial

from prefect import flow

from flows.forms import ask_form
from flows.signoff import await_decision
from models.answers import SummaryAnswer
from policy.signoff import DecisionStatus
from tasks.summaries import SummaryRequest, summaries_to_ask, write_summary
from tasks.transparency import (
    DraftCheck,
    check_report,
    leak_report,
    propose_report,
    publish_report,
    show_report,
)

FLOW_NAME = "compile-transparency-report"


class DraftLeaks(RuntimeError):
    """The draft holds personal data outside the summaries; the message says only where."""


def describe(request: SummaryRequest) -> str:
    lines = [
        f"## Transparency report · summary of {request.code}",
        f"**Category:** {request.category} · **When:** {request.phase.lower()}",
        f"**Resolutions:** {', '.join(request.resolutions) or 'none recorded'}",
        "Write what happened and what the team did, for the public report: no names, "
        "roles that identify someone, places, dates, times or quotes. Leave it empty to "
        "leave this incident out of the narratives (it is still counted).",
    ]
    if request.leak_kinds:
        lines.insert(
            1, f"**The last summary was blocked:** it holds {', '.join(request.leak_kinds)}."
        )
    return "\n\n".join(lines)


def _store(code: str, answer: SummaryAnswer) -> bool:
    return write_summary(code, member=answer.member, text=answer.summary)


def collect_summaries(event_slug: str) -> DraftCheck:
    """Ask for every missing or leaking summary; return the check of a draft needing none."""
    while True:
        check = check_report(event_slug)
        requests = [r for r in summaries_to_ask(check) if r.writers]
        if not requests:
            return check
        for request in requests:  # suspends at the first one nobody has answered yet
            ask_form(
                SummaryAnswer,
                request.writers,
                step=request.step,
                description=describe(request),
                store=partial(_store, request.code),
            )


@flow(name=FLOW_NAME, flow_run_name="transparency-{event_slug}")
def compile_transparency_report(event_slug: str, ask_summaries: bool = True) -> str:
    """Draft, guard, show, sign off and publish an edition's transparency report."""
    check = collect_summaries(event_slug) if ask_summaries else check_report(event_slug)
    if not check.clean:
        raise DraftLeaks(leak_report(check))
    show_report(event_slug)
    decision_id = propose_report(event_slug, check.digest)
    status = await_decision(decision_id)
    if status != DecisionStatus.approved:
        return status.value
    publish_report(event_slug, decision_id)
    return "published"
