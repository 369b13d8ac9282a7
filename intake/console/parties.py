"""The console's forms for the people involved: record a person, change an entry, merge two.

Each form carries the session's CSRF token and calls the member's act in
``record.acts.party``, exactly as `care party` and the review form do. Nothing waits on
parties, so nothing follows the act. The page then says which pseudonym was recorded.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from intake.console.auth import Viewer, check_csrf, viewer
from intake.console.render import ConsoleRoute
from intake.console.views import find_incident, record_page, refuse_if_restricted
from models import db
from models.tables import Incident
from models.validation import InvalidInput
from record.acts.party import add_party_by_member, edit_party, merge_parties

router = APIRouter(route_class=ConsoleRoute)
ANCHOR = "#parties"


def _act(
    request: Request,
    who: Viewer,
    code: str,
    csrf: str,
    done: str,
    act: Callable[[Session, str], object],
) -> Response:
    """Carry out the member's act on the incident; back to the record, saying what was
    recorded, or (nothing recorded: the act's session is closed) why not."""
    check_csrf(who, csrf)
    problem: str | None = None
    with db.session_scope() as session:
        code = _incident(session, code, who).code
        try:
            act(session, code)
        except InvalidInput as exc:
            problem = str(exc)
    if problem is not None:
        return record_page(request, who, code, error=("parties", problem), status=400)
    return RedirectResponse(f"/console/incidents/{code}?done={done}{ANCHOR}", status_code=303)


@router.post("/incidents/{code}/parties", include_in_schema=False)
def add(
    request: Request,
    code: str,
    role: str = Form(""),
    name: str = Form(""),
    contact: str = Form(""),
    description: str = Form(""),
    csrf: str = Form(""),
    who: Viewer = Depends(viewer),
) -> Response:
    return _act(
        request,
        who,
        code,
        csrf,
        "party",
        lambda session, code: add_party_by_member(
            session,
            incident_code=code,
            handle=who.handle,
            role=role,
            name=name,
            contact=contact,
            description=description,
            channel="console",
        ),
    )


@router.post("/incidents/{code}/parties/merge", include_in_schema=False)
def merge(
    request: Request,
    code: str,
    merge: str = Form(""),
    into: str = Form(""),
    csrf: str = Form(""),
    who: Viewer = Depends(viewer),
) -> Response:
    return _act(
        request,
        who,
        code,
        csrf,
        "party-merge",
        lambda session, code: merge_parties(
            session,
            incident_code=code,
            merged=merge,
            into=into,
            handle=who.handle,
            channel="console",
        ),
    )


@router.post("/incidents/{code}/parties/{pseudonym}", include_in_schema=False)
def edit(
    request: Request,
    code: str,
    pseudonym: str,
    role: str = Form(""),
    name: str = Form(""),
    contact: str = Form(""),
    description: str = Form(""),
    csrf: str = Form(""),
    who: Viewer = Depends(viewer),
) -> Response:
    changes = {"role": role, "name": name, "contact": contact, "description": description}
    return _act(
        request,
        who,
        code,
        csrf,
        "party-edit",
        lambda session, code: edit_party(
            session,
            incident_code=code,
            pseudonym=pseudonym,
            handle=who.handle,
            changes=changes,
            channel="console",
        ),
    )


def _incident(session: Session, code: str, who: Viewer) -> Incident:
    incident = find_incident(session, code)
    refuse_if_restricted(session, incident, who)
    return incident
