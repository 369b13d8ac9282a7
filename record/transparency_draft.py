"""Draft the transparency report's Markdown from an edition's facts, already anonymised.

Every count goes through the small-count rule, every table merges small groups into
"other", times are phases, and the team's own summaries are the only free text. Each line
knows which incident's summary it belongs to, so a leak can be sent back to its author.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from policy.anonymise import DEFAULT_K, OTHER, median_hours, shown_count, shown_table, tally, yes_no
from policy.categories import category_label
from policy.report_labels import CHANNEL_LABELS, PHASE_LABELS, finding_label, resolution_label
from record.transparency import EditionCount, EditionFacts, IncidentFacts


@dataclass
class Draft:
    lines: list[str] = field(default_factory=list)
    owners: list[str | None] = field(default_factory=list)  # incident code of summary lines

    def add(self, *lines: str, owner: str | None = None) -> None:
        for line in lines:
            for part in line.split("\n"):
                self.lines.append(part)
                self.owners.append(owner)

    @property
    def generated_lines(self) -> set[int]:
        """1-based numbers of the lines that hold no one's free text."""
        return {n for n, owner in enumerate(self.owners, start=1) if owner is None}

    @property
    def markdown(self) -> str:
        return "\n".join(self.lines) + "\n"


def _table(draft: Draft, title: str, head: str, counts: dict[str, int], label, k: int) -> None:
    draft.add("", f"### {title}", "", f"| {head} | count |", "|---|---|")
    rows = [
        f"| {'Other' if key == OTHER else label(key)} | {shown} |"
        for key, shown in shown_table(counts, k=k)
    ]
    draft.add(*(rows or ["| none | 0 |"]))


def _overview(draft: Draft, facts: EditionFacts, how_to_report: Iterable[str], k: int) -> None:
    reports = sum(i.reports for i in facts.incidents)
    incidents = shown_count(len(facts.incidents), k=k)
    size = f"about {facts.attendees} attendees" if facts.attendees else "attendance not recorded"
    draft.add(
        f"# Code of Conduct transparency report: {facts.name}",
        "",
        f"{facts.name} ({facts.starts_on.year}) had {size}. This report gives anonymised "
        "figures on the reports the CARE team received before, during and after the event. "
        f"Counts below {k} are shown as fewer than {k} or merged into other, times only as "
        "the phase of the event.",
        "",
        "## The CARE team and how to report",
        "",
        f"The CARE team had {facts.team_size} members, who decide together; any member may act "
        "alone only to prevent harm, and the team then reviews that action.",
        "",
        *(f"- {way}" for way in how_to_report),
        "",
        "## Reports and incidents",
        "",
        f"- Reports received: {shown_count(reports, k=k)}",
        f"- Distinct incidents (duplicate reports merged): {incidents}",
        f"- Urgent incidents: {shown_count(sum(i.urgent for i in facts.incidents), k=k)}",
    )


def _breakdowns(draft: Draft, incidents: tuple[IncidentFacts, ...], k: int) -> None:
    _table(
        draft,
        "By category (Code of Conduct clause)",
        "category",
        tally(i.category for i in incidents),
        category_label,
        k,
    )
    _table(
        draft,
        "By channel (reports)",
        "channel",
        tally(c for i in incidents for c in i.channels),
        lambda c: CHANNEL_LABELS.get(c, c),
        k,
    )
    _table(
        draft,
        "By phase of the event",
        "phase",
        tally(i.phase.value for i in incidents),
        PHASE_LABELS.__getitem__,
        k,
    )
    _table(
        draft,
        "By urgency",
        "urgency",
        tally("urgent" if i.urgent else "not urgent" for i in incidents),
        str.capitalize,
        k,
    )
    draft.add("", "## Outcomes")
    _table(
        draft,
        "Findings",
        "finding",
        tally(i.violation or "pending" for i in incidents),
        finding_label,
        k,
    )
    _table(
        draft,
        "Resolutions taken",
        "resolution",
        tally(r for i in incidents for r in i.resolutions),
        resolution_label,
        k,
    )


def _response(draft: Draft, facts: EditionFacts, k: int) -> None:
    incidents = facts.incidents
    acks = [i.to_acknowledge for i in incidents if i.to_acknowledge is not None]
    resolves = [i.to_resolve for i in incidents if i.to_resolve is not None]
    unilateral = sum(i.unilateral for i in incidents)
    draft.add(
        "",
        "## How the team responded",
        "",
        f"- Median time to acknowledge a report: {median_hours(acks, k=k)}",
        f"- Median time to a resolution: {median_hours(resolves, k=k)}",
        f"- Immediate actions one member took alone (each reviewed by the team): "
        f"{shown_count(unilateral, k=k)}",
        f"- Law enforcement involved: {yes_no(any(i.law_enforcement for i in incidents))}",
        f"- Team decisions signed off: {shown_count(facts.decisions.get('approved', 0), k=k)}",
    )


def _summaries(draft: Draft, incidents: tuple[IncidentFacts, ...]) -> None:
    written = sorted((i for i in incidents if i.summary), key=lambda i: (i.phase, i.category))
    if not written:
        return
    draft.add("", "## The incidents, in the team's words")
    for n, incident in enumerate(written, start=1):
        title = f"### Incident {n}: {category_label(incident.category)}, "
        draft.add("", title + PHASE_LABELS[incident.phase.value].lower())
        draft.add("", (incident.summary or "").strip(), owner=incident.code)


def _history(draft: Draft, history: list[EditionCount], k: int) -> None:
    if not history:
        return
    draft.add(
        "",
        "## Earlier editions",
        "",
        "| edition | attendees | reports | incidents | violations found |",
        "|---|---|---|---|---|",
    )
    for past in history:
        draft.add(
            f"| {past.name} | {past.attendees or '-'} | {shown_count(past.reports, k=k)} | "
            f"{shown_count(past.incidents, k=k)} | {shown_count(past.violations, k=k)} |"
        )


def draft_report(
    facts: EditionFacts,
    history: list[EditionCount],
    *,
    how_to_report: Iterable[str],
    k: int = DEFAULT_K,
) -> Draft:
    """The whole report as Markdown lines; summary lines are owned by their incident."""
    draft = Draft()
    _overview(draft, facts, how_to_report, k)
    _breakdowns(draft, facts.incidents, k)
    _response(draft, facts, k)
    _summaries(draft, facts.incidents)
    _history(draft, history, k)
    return draft
