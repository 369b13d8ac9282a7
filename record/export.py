"""One incident's record as Markdown, for the operator and the team's own archive."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import (
    AuditEntry,
    ConflictDeclaration,
    Conversation,
    Decision,
    Incident,
    Note,
    Page,
    ReviewOutcome,
)


def incident_markdown(session: Session, incident: Incident) -> str:
    """Render the whole record, decrypted. Callers audit the reading."""
    out = [
        f"# {incident.code}",
        "",
        f"- status: {incident.status}",
        f"- urgent: {'yes' if incident.urgent else 'no'}",
        f"- category: {incident.category or '-'}",
        f"- location: {incident.location or '-'}",
        f"- happened in public: {_yn(incident.happened_in_public)}",
        f"- reported: {incident.reported_at:%Y-%m-%d %H:%M} UTC",
        "",
        "## Reports",
    ]
    for r in incident.reports:
        who = "anonymous" if r.anonymous else (r.reporter_name or "(no name)")
        out += [
            "",
            f"### Report {r.id} ({r.channel}, {r.received_at:%Y-%m-%d %H:%M} UTC)",
            f"- reporter: {who}; contact: {r.reporter_contact or '-'} ({r.contact_kind or '-'})",
            f"- may be contacted: {_yn(r.consent_to_contact)}; urgent: {_yn(r.urgent)}",
            f"- when: {r.when_text or '-'}; where: {r.where_text or '-'}",
            f"- involved: {r.involved_text or '-'}; witnesses: {r.witnesses_text or '-'}",
            f"- attachments: {len(r.attachments)}",
            "",
            r.narrative,
        ]
    out += ["", "## Parties"]
    merged = {p.id: p.pseudonym for p in incident.parties}
    out += [
        f"- {p.pseudonym} ({p.role}): {p.name or '-'} {p.contact or ''}".rstrip()
        + (f" (merged into {merged[p.merged_into_id]})" if p.merged_into_id else "")
        for p in incident.parties
    ] or ["- none recorded"]
    conflicts = session.scalars(
        select(ConflictDeclaration).where(ConflictDeclaration.incident_id == incident.id)
    )
    out += ["", "## Conflicts of interest"]
    out += [
        f"- {c.member.handle}" + (" (waived)" if c.waived_by_decision_id else "") for c in conflicts
    ] or ["- none declared"]
    out += ["", "## Review outcomes"]
    for o in session.scalars(select(ReviewOutcome).where(ReviewOutcome.incident_id == incident.id)):
        if o.needs_information:
            out.append(f"- needs more information: {o.information_to_gather}")
        else:
            out.append(
                f"- violation {o.violation}, severity {o.severity}, intentional "
                f"{o.intentional}, bad actors {', '.join(o.bad_actors or []) or '-'}, "
                f"resolutions {', '.join(o.resolutions or [])}"
                + (f" ({o.other_resolution})" if o.other_resolution else "")
            )
            if o.what_happened:
                out.append(f"  what happened: {o.what_happened}")
    out += ["", "## Decisions"]
    for d in session.scalars(select(Decision).where(Decision.incident_id == incident.id)):
        out.append(f"- #{d.id} {d.kind}: {d.status} — {d.summary}")
        for a in d.approvals:
            verdict = "counted" if a.counted else f"refused: {a.refusal}"
            out.append(
                f"  - {a.claimed_handle} {a.verdict} via {a.channel} ({verdict})"
                + (f": {a.comment}" if a.comment else "")
            )
    out += ["", "## Conversations and notes"]
    for c in session.scalars(select(Conversation).where(Conversation.incident_id == incident.id)):
        out.append(f"- conversation {c.id} ({c.status})")
    for n in session.scalars(select(Note).where(Note.incident_id == incident.id)):
        out.append(f"- note {n.id} ({n.created_at:%Y-%m-%d %H:%M}): {n.body}")
    out += ["", "## Pages"]
    for p in session.scalars(select(Page).where(Page.incident_id == incident.id)):
        out.append(f"- round {p.round_index} {p.channel}: {p.status}")
    out += ["", "## Audit timeline"]
    for e in session.scalars(
        select(AuditEntry).where(AuditEntry.incident_code == incident.code).order_by(AuditEntry.seq)
    ):
        out.append(f"- {e.at:%Y-%m-%d %H:%M:%S} {e.actor} {e.action} {e.detail}")
    return "\n".join(out) + "\n"


def _yn(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")
