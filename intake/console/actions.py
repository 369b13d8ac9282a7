"""The console's forms: add a note, declare a conflict, acknowledge, approve or object.

Each form carries the session's CSRF token and calls the member's act in ``record.acts``;
what must follow (a notice in the team channel, a waiting run to wake) is carried out by
``adapters.follow_up`` after the transaction commits, off the request path. If Slack or
Prefect cannot be reached, the act is still in the record.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from adapters.follow_up import carry_out
from intake.console.auth import ConsoleError, Viewer, check_csrf, viewer
from intake.console.config import ConsoleConfig, console_config
from intake.console.render import ConsoleRoute
from intake.console.views import find_incident, record_page, refuse_if_restricted
from models import db
from models.db import utcnow
from models.tables import Incident
from models.validation import InvalidInput
from record import decisions
from record.acts.acknowledge import take_urgent_case
from record.acts.answer import Answered, answer_decision
from record.acts.conflict import declare
from record.acts.note import add as add_note

router = APIRouter(route_class=ConsoleRoute)
REFUSED = {
    "bad_code": "The code was not right. Type the 6-digit code your authenticator app shows now.",
    "code_reused": "That code was already used (perhaps to sign in). Wait for the next code "
    "in your app (at most 30 seconds) and try again.",
    "conflicted": "You have a conflict on this incident, so your answer does not count.",
    "inactive": "Your membership is not active, so your answer does not count.",
    "already_counted": "Your approval is already counted (the proposer counts as one).",
    "decision_closed": "This decision is already decided.",
    "unknown_member": "Your answer could not be matched to a member.",
    "text_not_read": "You have not read this text yet: read it on this page, then answer.",
}


def _done(code: str, what: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/console/incidents/{code}?done={what}{anchor}", status_code=303)


@router.post("/incidents/{code}/notes", include_in_schema=False)
def note(
    request: Request,
    code: str,
    body: str = Form(""),
    conversation: str = Form(""),
    csrf: str = Form(""),
    who: Viewer = Depends(viewer),
) -> Response:
    check_csrf(who, csrf)
    problem = None
    with db.session_scope() as session:
        incident = find_incident(session, code)
        refuse_if_restricted(session, incident, who)
        code = incident.code
        try:
            add_note(
                session,
                incident_code=code,
                author=who.handle,
                body=body,
                conversation_id=_conversation(conversation),
            )
        except InvalidInput as exc:
            problem = str(exc)
    if problem:
        return record_page(request, who, code, error=("notes", problem), status=400)
    return _done(code, "note", "#notes")


def _conversation(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise ConsoleError(400, "No such conversation", "Choose a conversation of this incident.")
    return int(raw)


@router.post("/incidents/{code}/conflict", include_in_schema=False)
def conflict(
    code: str,
    background: BackgroundTasks,
    reason: str = Form(""),
    csrf: str = Form(""),
    who: Viewer = Depends(viewer),
) -> Response:
    check_csrf(who, csrf)
    with db.session_scope() as session:
        incident = find_incident(session, code)
        result = declare(
            session,
            incident_code=incident.code,
            handle=who.handle,
            channel="console",
            reason=reason,
            actor=who.handle,
        )
    if not result.counted:
        raise ConsoleError(403, "Not recorded", REFUSED.get(result.refusal or "", "Refused."))
    background.add_task(carry_out, result.follow)
    return _done(result.incident_code, "conflict")


@router.post("/incidents/{code}/acknowledge", include_in_schema=False)
def acknowledge(
    code: str, background: BackgroundTasks, csrf: str = Form(""), who: Viewer = Depends(viewer)
) -> Response:
    submitted_at = utcnow()
    check_csrf(who, csrf)
    with db.session_scope() as session:
        incident = find_incident(session, code)
        refuse_if_restricted(session, incident, who)
        try:
            result = take_urgent_case(
                session,
                incident_code=incident.code,
                handle=who.handle,
                channel="console",
                submitted_at=submitted_at,
            )
        except InvalidInput as exc:
            raise ConsoleError(409, "Nothing to acknowledge", str(exc)) from exc
    if not result.counted:
        raise ConsoleError(
            403, "Not counted", f"Your acknowledgement was refused: {result.refusal}."
        )
    background.add_task(carry_out, result.follow)
    return _done(result.incident_code, "ack" if result.first else "ack-later")


@router.post("/decisions/{decision_id}/answer", include_in_schema=False)
def answer(
    request: Request,
    decision_id: int,
    background: BackgroundTasks,
    verdict: str = Form(""),
    code: str = Form(""),
    comment: str = Form(""),
    csrf: str = Form(""),
    who: Viewer = Depends(viewer),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    submitted_at = utcnow()
    check_csrf(who, csrf)
    if verdict not in ("approve", "object"):
        raise ConsoleError(400, "Choose approve or object", "Go back and press one of the buttons.")
    if not config.allow(handle=who.handle, client=request.client.host if request.client else "-"):
        raise ConsoleError(429, "Too many codes tried", "Wait five minutes, then try again.")
    with db.session_scope() as session:
        incident_code = _decision_incident(session, decision_id, who)
        result = answer_decision(
            session,
            decision_id=decision_id,
            handle=who.handle,
            verdict="approve" if verdict == "approve" else "object",
            channel="console",
            code=code,
            comment=comment.strip()[:2000] or None,
            submitted_at=submitted_at,
        )
    background.add_task(carry_out, result.follow)
    return _answered(request, who, incident_code, decision_id, verdict, result)


def _decision_incident(session: Session, decision_id: int, who: Viewer) -> str | None:
    """The code of the decision's incident (None for a team decision), if the viewer may see it."""
    try:
        decision = decisions.get_decision(session, decision_id)
    except decisions.UnknownDecision as exc:
        raise ConsoleError(404, "No such decision", str(exc)) from exc
    incident = session.get(Incident, decision.incident_id) if decision.incident_id else None
    if incident is None:
        return None
    refuse_if_restricted(session, incident, who)
    return incident.code


def _answered(
    request: Request,
    who: Viewer,
    incident_code: str | None,
    decision_id: int,
    verdict: str,
    result: Answered,
) -> Response:
    anchor = f"#decision-{decision_id}"
    done = "approved" if verdict == "approve" else "objected"
    if incident_code is None:
        if result.counted:
            return RedirectResponse(f"/console/?done={done}{anchor}", status_code=303)
        raise ConsoleError(400, "Not counted", REFUSED.get(result.refusal or "", "Refused."))
    if result.counted:
        return _done(incident_code, done, anchor)
    status = 400 if result.refusal in ("bad_code", "code_reused") else 409
    message = REFUSED.get(result.refusal or "", "Your answer was not counted.")
    return record_page(
        request, who, incident_code, error=(f"decision-{decision_id}", message), status=status
    )
