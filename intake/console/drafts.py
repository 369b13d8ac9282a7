"""Answers to finish: a member's refused answer, kept as their draft, finished in the console.

The page shows what the member typed, prefilled in the step's own form (its definition in
``models.answers``), and why it did not count. Submitting it goes through the same act as
the Prefect form, ``record.acts.form_answer.answer_step``, with the request's time as the
moment the code was given; the run that waits for the step is woken once it counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from adapters.follow_up import carry_out
from flows.waiting import invalid_fields
from intake.console.auth import ConsoleError, Viewer, check_csrf, viewer
from intake.console.config import ConsoleConfig, console_config
from intake.console.render import ConsoleRoute, page
from intake.console.views import refuse_if_restricted
from models import db
from models.answers import Choices, Eligible, FormAnswer, Switches, fold_switches
from models.db import utcnow
from models.tables import Draft, Incident
from record import audit
from record.acts.form_answer import DEFINITIONS, WHAT, StepAnswered, StepForm, answer_step

router = APIRouter(route_class=ConsoleRoute)
LONG = frozenset(
    {"what_happened", "information_to_gather", "findings", "notes", "text", "reporter_explanation"}
)
Kind = Literal["text", "textarea", "bool", "choice", "switches"]


@dataclass(frozen=True)
class FormField:
    """One field of a step's form, as the console shows it, with what the member typed."""

    name: str
    title: str
    kind: Kind
    value: Any
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # value, label, chosen


def form_fields(definition: type[FormAnswer], typed: dict[str, Any]) -> list[FormField]:
    """The definition's fields (not the member, not the code), prefilled with ``typed``."""
    fields = []
    for name, info in definition.model_fields.items():
        marker = next(
            (m for m in info.metadata if isinstance(m, Eligible | Choices | Switches)), None
        )
        title = info.title or name
        value = typed.get(name, info.get_default(call_default_factory=True))
        if name == "code" or isinstance(marker, Eligible):
            continue
        if isinstance(marker, Switches):
            chosen = set(value or [])
            options = [
                (f"{marker.prefix}{k}", marker.title.format(k), k in chosen)
                for k in marker.values()
            ]
            fields.append(FormField(name, title, "switches", None, options))
        elif isinstance(marker, Choices):
            options = [(v, v.replace("_", " "), v == value) for v in marker.values()]
            fields.append(FormField(name, title, "choice", value, options))
        elif info.annotation is bool:
            fields.append(FormField(name, title, "bool", bool(value)))
        else:
            fields.append(
                FormField(name, title, "textarea" if name in LONG else "text", value or "")
            )
    return fields


def typed_answer(definition: type[FormAnswer], form: FormData, handle: str) -> dict[str, Any]:
    """What the member submitted, as the definition reads it (unticked boxes are False)."""
    raw: dict[str, Any] = {}
    for name, info in definition.model_fields.items():
        marker = next((m for m in info.metadata if isinstance(m, Eligible | Switches)), None)
        if isinstance(marker, Eligible):
            raw[name] = handle
        elif isinstance(marker, Switches):
            for key in marker.values():
                raw[f"{marker.prefix}{key}"] = form.get(f"{marker.prefix}{key}") == "on"
        elif info.annotation is bool:
            raw[name] = form.get(name) == "on"
        else:
            raw[name] = str(form.get(name) or "")
    return raw


def _open_draft(draft_id: int, who: Viewer) -> tuple[Draft, str]:
    """The viewer's own unfinished draft and its incident's code, or a page saying why not."""
    with db.session_scope() as session:
        draft = session.get(Draft, draft_id)
        if draft is None or draft.member_id != who.member_id:
            raise ConsoleError(
                404, "No such answer", "You have no answer to finish with this number."
            )
        incident = session.get(Incident, draft.incident_id)
        assert incident is not None
        refuse_if_restricted(session, incident, who)
        if draft.resolved_at is not None:
            raise ConsoleError(
                409,
                "Already finished",
                f"This answer on {incident.code} is finished or no longer needed.",
            )
        session.expunge(draft)
        return draft, incident.code


def _page(
    request: Request,
    who: Viewer,
    draft: Draft,
    code: str,
    typed: dict[str, Any],
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    definition = DEFINITIONS[draft.form]
    context = {
        "who": who,
        "draft": draft,
        "code": code,
        "what": WHAT[draft.form],
        "fields": form_fields(definition, typed),
        "error": error,
        "nav": "waiting",
    }
    return page(request, "draft.html", context, status=status)


@router.get("/drafts/{draft_id}", include_in_schema=False)
def show(request: Request, draft_id: int, who: Viewer = Depends(viewer)) -> Response:
    draft, code = _open_draft(draft_id, who)
    with db.session_scope() as session:
        audit.record(
            session, actor=who.handle, action="draft.view", incident_code=code, draft=draft.id
        )
    return _page(request, who, draft, code, dict(draft.answer or {}))


@router.post("/drafts/{draft_id}", include_in_schema=False)
async def finish(
    request: Request,
    draft_id: int,
    background: BackgroundTasks,
    who: Viewer = Depends(viewer),
    config: ConsoleConfig = Depends(console_config),
) -> Response:
    submitted_at = utcnow()
    form = await request.form()
    check_csrf(who, str(form.get("csrf") or ""))
    if not config.allow(handle=who.handle, client=request.client.host if request.client else "-"):
        raise ConsoleError(429, "Too many codes tried", "Wait five minutes, then try again.")
    return await run_in_threadpool(_finish, request, draft_id, form, who, background, submitted_at)


def _finish(
    request: Request,
    draft_id: int,
    form: FormData,
    who: Viewer,
    background: BackgroundTasks,
    submitted_at: datetime,
) -> Response:
    draft, code = _open_draft(draft_id, who)
    definition = DEFINITIONS[draft.form]
    raw = {**typed_answer(definition, form, who.handle), "code": str(form.get("code") or "")}
    try:
        answer = definition.model_validate(raw)
    except ValidationError as exc:
        problem = invalid_fields(definition, exc)
        return _page(
            request, who, draft, code, _as_typed(definition, raw), error=problem, status=400
        )
    with db.session_scope() as session:
        result: StepAnswered = answer_step(
            session,
            incident_code=code,
            step=draft.step,
            form=_form(draft.form),
            target=dict(draft.target or {}),
            answer=answer,
            channel="console",
            submitted_at=submitted_at,
            draft_id=draft.id,
        )
    if result.counted:
        background.add_task(carry_out, result.follow)
        return RedirectResponse(
            f"/console/incidents/{result.incident_code}?done=draft", status_code=303
        )
    if result.draft_id != draft.id:  # the step was answered meanwhile: nothing left to finish
        raise ConsoleError(409, "Not counted", result.reason or "Your answer was not counted.")
    return _page(request, who, draft, code, answer.model_dump(), error=result.reason, status=400)


def _as_typed(definition: type[FormAnswer], raw: dict[str, Any]) -> dict[str, Any]:
    """A submitted form's fields as a draft holds them (ticked boxes folded into a list)."""
    folded = dict(raw)
    for name, info in definition.model_fields.items():
        marker = next((m for m in info.metadata if isinstance(m, Switches)), None)
        if marker is not None:
            folded = fold_switches(folded, name, marker.prefix, list(marker.values()))
    return folded


def _form(name: str) -> StepForm:
    if name not in DEFINITIONS:
        raise ConsoleError(404, "No such answer", "This answer cannot be finished here.")
    return name  # type: ignore[return-value]
