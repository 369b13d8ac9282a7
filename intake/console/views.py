"""The console's pages: what waits for me, the incident list, an incident's record."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from intake.console import queries
from intake.console.auth import ConsoleError, Viewer, viewer
from intake.console.render import ConsoleRoute, page
from models import db
from models.tables import Attachment, Incident, Report
from models.validation import InvalidInput
from policy.signoff import TEXT_KINDS
from record import audit, outbox, readings
from record.export import incident_markdown
from record.incidents import get_incident

router = APIRouter(route_class=ConsoleRoute)
OUTBOX_LIMIT = 200
DONE = {
    "note": "Your note is in the record.",
    "conflict": "Your conflict is recorded. From now on you see only this incident's status.",
    "ack": "Thank you: you are the first responder. Paging has stopped.",
    "ack-later": "Acknowledged. Someone had already responded; your acknowledgement is recorded.",
    "approved": "Your approval is counted.",
    "objected": "Your objection is recorded; the decision goes back to its proposer.",
    "draft": "Your answer is recorded: it counted this time.",
}


def find_incident(session: Session, code: str) -> Incident:
    try:
        return get_incident(session, code)
    except InvalidInput as exc:
        raise ConsoleError(404, "No such incident", f"There is no incident {code[:24]!r}.") from exc


def refuse_if_restricted(session: Session, incident: Incident, who: Viewer) -> None:
    if queries.is_restricted(session, incident, who.handle):
        raise ConsoleError(
            403,
            "You have a conflict on this incident",
            f"You declared a conflict of interest on {incident.code}, so you cannot see or "
            "change its record. Its status stays visible in the incident list.",
        )


@router.get("/", include_in_schema=False)
def waiting(request: Request, who: Viewer = Depends(viewer)) -> Response:
    with db.session_scope() as session:
        work = queries.waiting_for(session, who.member_id, who.handle)
        done = DONE.get(request.query_params.get("done", ""))
        drafts = queries.drafts_to_finish(session, who.member_id, who.handle)
        context = {"who": who, "work": work, "nav": "waiting", "done": done, "drafts": drafts}
        return page(request, "waiting.html", context)


@router.get("/incidents", include_in_schema=False)
def incidents(request: Request, who: Viewer = Depends(viewer)) -> Response:
    with db.session_scope() as session:
        rows = queries.incident_list(session, who.member_id)
        return page(request, "incidents.html", {"who": who, "rows": rows, "nav": "incidents"})


@router.get("/outbox", include_in_schema=False)
def outbox_page(request: Request, who: Viewer = Depends(viewer)) -> Response:
    """What CARE sent (or holds in its outbox), newest first; the reading is audited."""
    code = (request.query_params.get("incident") or "").strip() or None
    with db.session_scope() as session:
        if code is not None:
            refuse_if_restricted(session, find_incident(session, code), who)
        messages = outbox.read(
            session,
            actor=who.handle,
            via="console",
            incident_code=code,
            limit=OUTBOX_LIMIT,
            hide_incidents=queries.restricted_incidents(session, who.member_id),
        )
        context = {"who": who, "messages": messages, "incident": code, "nav": "outbox"}
        return page(request, "outbox.html", context)


def record_page(
    request: Request,
    who: Viewer,
    code: str,
    *,
    error: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    """Render the record as this member may see it, and write the view to the audit trail."""
    with db.session_scope() as session:
        incident = find_incident(session, code)
        view = queries.record(session, incident, member_id=who.member_id, handle=who.handle)
        for item in view.decisions:  # the page shows each text in full: this member read it
            if item.decision.body and item.decision.kind in TEXT_KINDS:
                readings.record_showing(session, member=who.handle, decision=item.decision)
        audit.record(
            session,
            actor=who.handle,
            action="incident.view",
            incident_code=incident.code,
            via="console",
            restricted=view.restricted,
        )
        context = {
            "who": who,
            "view": view,
            "done": _done(session, incident, who, request.query_params.get("done", "")),
            "error": error,
            "nav": "incidents",
        }
        return page(request, "incident.html", context, status=status)


def _done(session: Session, incident: Incident, who: Viewer, done: str) -> str | None:
    return DONE.get(done) or queries.party_done(session, incident, who.handle, done)


@router.get("/incidents/{code}", include_in_schema=False)
def incident(request: Request, code: str, who: Viewer = Depends(viewer)) -> Response:
    return record_page(request, who, code)


@router.get("/incidents/{code}/export.md", include_in_schema=False)
def export(code: str, who: Viewer = Depends(viewer)) -> Response:
    with db.session_scope() as session:
        incident = find_incident(session, code)
        refuse_if_restricted(session, incident, who)
        text = incident_markdown(session, incident)
        audit.record(
            session, actor=who.handle, action="incident.export", incident_code=incident.code
        )
        name = incident.code
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.md"'},
    )


@router.get("/incidents/{code}/attachments/{attachment_id}", include_in_schema=False)
def attachment(code: str, attachment_id: int, who: Viewer = Depends(viewer)) -> Response:
    """An attachment of one of the incident's reports, always as a download."""
    with db.session_scope() as session:
        incident = find_incident(session, code)
        refuse_if_restricted(session, incident, who)
        found = session.get(Attachment, attachment_id)
        report = session.get(Report, found.report_id) if found else None
        if found is None or report is None or report.incident_id != incident.id:
            raise ConsoleError(404, "No such attachment", f"{incident.code} has no such file.")
        audit.record(
            session,
            actor=who.handle,
            action="attachment.view",
            incident_code=incident.code,
            attachment=found.id,
        )
        content, kind = found.content or b"", found.content_type
    name = f"{code}-attachment-{attachment_id}{mimetypes.guess_extension(kind) or ''}"
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/decisions/{decision_id}", include_in_schema=False)
def decision(decision_id: int, who: Viewer = Depends(viewer)) -> Response:
    """A decision lives on its incident's record (which shows its text in full and records
    that this member was shown it); event-wide ones on the waiting page."""
    from record.decisions import UnknownDecision, get_decision

    with db.session_scope() as session:
        try:
            found = get_decision(session, decision_id)
        except UnknownDecision as exc:
            raise ConsoleError(404, "No such decision", str(exc)) from exc
        incident_ = session.get(Incident, found.incident_id) if found.incident_id else None
    if incident_ is None:
        return RedirectResponse(f"/console/#decision-{decision_id}", status_code=303)
    return RedirectResponse(
        f"/console/incidents/{incident_.code}#decision-{decision_id}", status_code=303
    )
