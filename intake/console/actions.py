"""The console's forms: add a note, declare a conflict, acknowledge, approve or object.

Each form carries the session's CSRF token. An answer or a conflict that a waiting flow
cares about wakes its run after the transaction commits, off the request path. If
Prefect cannot be reached, the answer is still in the record and the log names the
decision or incident whose run was not woken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from intake.console.auth import ConsoleError, Viewer, check_csrf, viewer
from intake.console.config import ConsoleConfig, console_config
from intake.console.render import ConsoleRoute
from intake.console.views import find_incident, record_page, refuse_if_restricted
from models import db
from models.tables import Conversation, Incident
from models.validation import InvalidInput
from record import decisions, urgent_pages
from record.incidents import add_note, declare_conflict

router = APIRouter(route_class=ConsoleRoute)
log = logging.getLogger("care.console")
MAX_NOTE = 20_000
REFUSED = {
    "bad_code": "The code was not right. Type the 6-digit code your authenticator app shows now.",
    "code_reused": "That code was already used (perhaps to sign in). Wait for the next code "
    "in your app (at most 30 seconds) and try again.",
    "conflicted": "You have a conflict on this incident, so your answer does not count.",
    "inactive": "Your membership is not active, so your answer does not count.",
    "already_counted": "Your approval is already counted (the proposer counts as one).",
    "decision_closed": "This decision is already decided.",
    "unknown_member": "Your answer could not be matched to a member.",
}


def _after_answer(decision_id: int, approval_id: int, waiting: bool) -> None:
    """Tell the team channel about the counted answer; wake the sign-off run."""
    from adapters import notices, prefect_api

    try:
        notices.announce_approval(decision_id, approval_id)
    except Exception:  # the answer is recorded; the notice stays in the outbox
        log.warning("could not announce approval %s of d%s", approval_id, decision_id)
    if waiting:
        _wake(lambda: prefect_api.wake_decision(decision_id), f"d{decision_id}")


def _wake_signoffs(code: str) -> None:
    from adapters import prefect_api

    _wake(lambda: prefect_api.wake_open_signoffs(code), code)


def _wake_escalation(code: str, run_id: str) -> None:
    from adapters import prefect_api

    _wake(lambda: prefect_api.wake(run_id, patience_s=1.0), code)


def _wake(call: Callable[[], object], what: str) -> None:
    try:
        call()
    except Exception:  # Prefect unreachable: the answer is recorded all the same
        log.warning("could not wake the waiting run(s) of %s", what, exc_info=True)


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
        conv_id = _conversation(session, incident, conversation)
        try:
            if len(body) > MAX_NOTE:
                raise InvalidInput(f"a note can be at most {MAX_NOTE} characters")
            add_note(session, incident, author=who.handle, body=body, conversation_id=conv_id)
        except InvalidInput as exc:
            problem = str(exc)
        code = incident.code
    if problem:
        return record_page(request, who, code, error=("notes", problem), status=400)
    return _done(code, "note", "#notes")


def _conversation(session: Session, incident: Incident, raw: str) -> int | None:
    if not raw:
        return None
    conv = session.get(Conversation, int(raw)) if raw.isdigit() else None
    if conv is None or conv.incident_id != incident.id:
        raise ConsoleError(400, "No such conversation", "Choose a conversation of this incident.")
    return int(conv.id)


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
        declare_conflict(
            session, incident, who.handle, reason=reason.strip()[:2000] or None, actor=who.handle
        )
        code = incident.code
        waiting = any(d.flow_run_id for d in decisions.pending_decisions(session, incident))
    if waiting:  # who may approve changed: open sign-offs re-read the record
        background.add_task(_wake_signoffs, code)
    return _done(code, "conflict")


@router.post("/incidents/{code}/acknowledge", include_in_schema=False)
def acknowledge(
    code: str, background: BackgroundTasks, csrf: str = Form(""), who: Viewer = Depends(viewer)
) -> Response:
    check_csrf(who, csrf)
    with db.session_scope() as session:
        incident = find_incident(session, code)
        refuse_if_restricted(session, incident, who)
        try:
            result = urgent_pages.acknowledge(
                session, incident, handle=who.handle, channel="console"
            )
        except InvalidInput as exc:
            raise ConsoleError(409, "Nothing to acknowledge", str(exc)) from exc
        code, run_id = incident.code, incident.escalation_flow_run_id
    if not result.counted:
        raise ConsoleError(
            403, "Not counted", f"Your acknowledgement was refused: {result.refusal}."
        )
    if run_id:  # the escalation re-reads the record and stops paging
        background.add_task(_wake_escalation, code, run_id)
    return _done(code, "ack" if result.first else "ack-later")


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
    check_csrf(who, csrf)
    if verdict not in ("approve", "object"):
        raise ConsoleError(400, "Choose approve or object", "Go back and press one of the buttons.")
    if not config.allow(handle=who.handle, client=request.client.host if request.client else "-"):
        raise ConsoleError(429, "Too many codes tried", "Wait five minutes, then try again.")
    with db.session_scope() as session:
        try:
            decision = decisions.get_decision(session, decision_id)
        except decisions.UnknownDecision as exc:
            raise ConsoleError(404, "No such decision", str(exc)) from exc
        incident = session.get(Incident, decision.incident_id) if decision.incident_id else None
        if incident is not None:
            refuse_if_restricted(session, incident, who)
        result = decisions.answer(
            session,
            decision_id=decision_id,
            handle=who.handle,
            verdict="approve" if verdict == "approve" else "object",
            channel="console",
            code=code,
            comment=comment.strip()[:2000] or None,
        )
        incident_code = incident.code if incident else None
        if result.counted:
            approval_id, waiting = decision.approvals[-1].id, bool(decision.flow_run_id)
            background.add_task(_after_answer, decision_id, approval_id, waiting)
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
