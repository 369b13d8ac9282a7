"""Draft, check, show and publish an edition's transparency report.

:func:`compile_report` is the whole computation (records -> anonymised Markdown -> leak
check); the tasks around it return codes, digests and leak positions only, so nothing
personal reaches Prefect. The draft becomes an artifact only once it passes the guard.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from prefect import task
from prefect.artifacts import create_markdown_artifact

from models import db
from models.settings import Settings, get_settings
from policy.signoff import DecisionKind
from record import audit
from record.decisions import get_decision, propose
from record.events import get_event
from record.incidents import get_incident
from record.personal_data import record_guard
from record.summaries import set_summary
from record.transparency import EditionFacts, edition_facts, series_history
from record.transparency_draft import draft_report


@dataclass(frozen=True)
class LeakSpot:
    line: int
    column: int
    kind: str
    incident_code: str | None  # the incident whose summary holds it, if any

    def __str__(self) -> str:
        where = f" (summary of {self.incident_code})" if self.incident_code else ""
        return f"line {self.line}, column {self.column}: {self.kind}{where}"


@dataclass(frozen=True)
class DraftCheck:
    event_slug: str
    digest: str
    incidents: int
    leaks: tuple[LeakSpot, ...]
    without_summary: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.leaks


@dataclass(frozen=True)
class Compiled:
    markdown: str
    check: DraftCheck
    facts: EditionFacts


def how_to_report(settings: Settings) -> list[str]:
    ways = [
        f"By e-mail to {settings.mail_from}",
        f"With the web form at {settings.public_url.rstrip('/')}/report",
        "On the conference Slack, to any CARE member",
        "In person, to any CARE member or staff member",
    ]
    return ways


def _no_progress(step: str) -> None:
    return None


def compile_report(
    event_slug: str, *, reader: str = "care", progress: Callable[[str], None] = _no_progress
) -> Compiled:
    """Draft the report from the records and check it against all their personal data."""
    settings = get_settings()
    with db.session_scope() as session:
        progress("reading the records")
        event = get_event(session, event_slug)
        facts = edition_facts(session, event, reader=reader)
        history = series_history(session, event)
        progress("loading the personal data to guard against")
        guard = record_guard(session)
    progress("drafting")
    draft = draft_report(
        facts, history, how_to_report=how_to_report(settings), k=settings.report_min_count
    )
    markdown = draft.markdown
    progress("checking the draft for personal data")
    spots = tuple(
        LeakSpot(leak.line, leak.column, leak.kind.value, draft.owners[leak.line - 1])
        for leak in guard.scan(markdown, generated_lines=draft.generated_lines)
    )
    check = DraftCheck(
        event_slug=facts.slug,
        digest=hashlib.sha256(markdown.encode()).hexdigest(),
        incidents=len(facts.incidents),
        leaks=spots,
        without_summary=tuple(i.code for i in facts.incidents if i.summary is None),
    )
    return Compiled(markdown, check, facts)


COMPILE_STEPS = 4


def leak_report(check: DraftCheck) -> str:
    """What the team sees instead of a draft that leaks: where, and which kind of data."""
    lines = [
        f"# Transparency report {check.event_slug}: not shown",
        "",
        "The draft holds personal data at these spots; correct them and run again:",
        "",
    ]
    return "\n".join(lines + [f"- {spot}" for spot in check.leaks]) + "\n"


@task(task_run_name="check-report-{event_slug}")
def check_report(event_slug: str) -> DraftCheck:
    return compile_report(event_slug).check


@task(task_run_name="show-report-{event_slug}")
def show_report(event_slug: str) -> DraftCheck:
    """Show the draft in the Prefect UI as an artifact, or only where it leaks."""
    compiled = compile_report(event_slug)
    check = compiled.check
    create_markdown_artifact(
        key=f"transparency-{check.event_slug}",
        markdown=compiled.markdown if check.clean else leak_report(check),
        description=f"draft {check.digest[:12]}" if check.clean else "blocked by the leak guard",
    )
    return check


@task(task_run_name="store-summary-{incident_code}")
def store_summary(incident_code: str, text: str | None, author: str) -> None:
    with db.session_scope() as session:
        set_summary(session, get_incident(session, incident_code), text, actor=author)


@task(task_run_name="propose-report-{event_slug}")
def propose_report(event_slug: str, digest: str) -> int:
    """Open (once per draft) the decision to publish exactly this draft."""
    with db.session_scope() as session:
        event = get_event(session, event_slug)
        decision = propose(
            session,
            kind=DecisionKind.transparency_report,
            summary=f"publish the transparency report of {event.slug} (draft {digest[:12]})",
            proposer=None,
            event_id=event.id,
            payload={"digest": digest},
            idempotency_key=f"transparency-{event.slug}-{digest[:32]}",
        )
        return decision.id


class NotApproved(RuntimeError):
    """The report may not be published: not signed off, or changed since the sign-off."""


@task(task_run_name="publish-report-{event_slug}")
def publish_report(event_slug: str, decision_id: int) -> list[str]:
    """Write the signed-off report (Markdown and HTML); refuse a draft that has changed."""
    from adapters.report_files import write_report

    with db.session_scope() as session:
        decision = get_decision(session, decision_id)
        status, approved_digest = decision.status, (decision.payload or {}).get("digest")
    compiled = compile_report(event_slug)
    if status != "approved" or not compiled.check.clean:
        raise NotApproved(f"decision {decision_id} is {status}; nothing published")
    if compiled.check.digest != approved_digest:
        raise NotApproved(f"the records changed since decision {decision_id}; propose again")
    paths = write_report(compiled.markdown, compiled.facts, get_settings())
    with db.session_scope() as session:
        audit.record(
            session,
            actor="care",
            action="transparency.publish",
            event=event_slug,
            decision=decision_id,
        )
    return [str(p) for p in paths]
