"""Every act of a member has one implementation: each channel gives the same outcome.

Each act is performed through every channel that offers it, against a real Prefect
server and the CARE host running the flows, with fake Slack and Twilio APIs on 127.0.0.1.
The record, the team channel's announcement and the runs woken must be the same whatever
the channel; only the channel's own name differs (shown as <channel>). Each case starts
from a fresh database, so the first case code is DCE26-1 and the first decision d1.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.app import create_app
from models import db
from models.settings import get_settings
from models.tables import AuditEntry, Member, Note, UnilateralAction
from policy.signoff import DecisionKind
from record.decisions import get_decision, propose
from record.incidents import conflicted_handles, get_incident
from tasks.signoff import read_signoff, set_signoff_run
from tests.support import acts
from tests.support.acts import World, host_without_sweep, run_named, state_names
from tests.support.care_db import fresh_sqlite, use_care
from tests.support.codes import Codes
from tests.support.escalation import urgent_incident
from tests.support.fake_slack import TEAM_CHANNEL, FakeSlack, running_fake_slack, slack_configured
from tests.support.fake_twilio import fake_twilio, use_fake_twilio
from tests.support.host import form_description, read_run, waiting_form
from tests.support.seed import seed_report, seed_team

pytestmark = pytest.mark.e2e
CH = "<channel>"
CASES = [
    *[("approve", c) for c in ("ui", "console", "slack", "cli")],
    *[("acknowledge", c) for c in ("ui", "console", "slack", "cli", "sms")],
    *[("declare-conflict", c) for c in ("console", "slack", "cli")],
    *[("add-note", c) for c in ("console", "cli")],
    ("act-alone", "cli"),
]


@dataclass(frozen=True)
class Seen:
    record: Any
    announced: list[str]
    woken: Any
    warnings: tuple[str, ...] = ()  # a follow-up that failed, or woke a run that never waits


EXPECTED = {
    "approve": Seen(
        record=("approved", [("ben", "approve", True, CH)]),
        announced=[f"ben approved `other` d1 (via {CH}). Approvals 2 of 2; approved."],
        woken="collect-signoff: Completed",
    ),
    "acknowledge": Seen(
        record=("dev", [("dev", "page.ack", f'{{"channel":"{CH}","first":true}}')]),
        announced=[],
        woken=("escalate-incident: Completed, never woken", "acknowledge-urgent: Completed"),
    ),
    "declare-conflict": Seen(
        record=(["chloe"], [("chloe", "conflict.declare", '{"member":"chloe"}')]),
        announced=[],
        woken="**May still approve:** ben, dev, eve",
    ),
    "add-note": Seen(record=[("ben", acts.NOTE)], announced=[], woken=None),
    "act-alone": Seen(
        record=[("ana", acts.ACTION)],
        announced=[],
        woken="handle-incident: opened the review's sign-off",
    ),
}


@pytest.fixture
def world(
    tmp_path: Path, prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, FakeSlack]]:
    use_care(tmp_path, fresh_sqlite(tmp_path))
    with running_fake_slack() as slack, slack_configured(slack), fake_twilio() as twilio:
        use_fake_twilio(monkeypatch, twilio, public_url=acts.PUBLIC)
        with host_without_sweep(), TestClient(create_app()) as intake:
            yield World(codes=Codes({}), intake=intake), slack
    get_settings.cache_clear()


def _settle(look: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 45) -> Any:
    """What ``look`` sees once ``done`` holds, or at the timeout (for the assertion's diff)."""
    deadline = time.monotonic() + timeout
    while not done(seen := look()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen


def _team(w: World) -> None:
    with db.session_scope() as session:
        w.codes = Codes(seed_team(session).totp)


def _signoff(w: World, *, on_incident: bool) -> None:
    """Ana proposes a decision; its collect-signoff run waits with its form."""
    from flows.signoff import start_signoff_run

    with db.session_scope() as session:
        incident = get_incident(session, w.incident) if on_incident else None
        w.decision = propose(
            session,
            kind=DecisionKind.other,
            summary="Buy a first-aid kit",
            proposer="ana",
            incident=incident,
        ).id
    w.run = start_signoff_run(read_signoff(w.decision), notify_run_id=None)
    set_signoff_run(w.decision, w.run)
    form_description(w.run)


def _report(w: World) -> None:
    _team(w)
    with db.session_scope() as session:
        w.incident = seed_report(session)


def _incident_run(code: str) -> str | None:
    with db.session_scope() as session:
        return get_incident(session, code).flow_run_id


def set_up(act: str, w: World) -> None:
    if act == "approve":
        _team(w)
        _signoff(w, on_incident=False)
    elif act == "acknowledge":
        urgent = urgent_incident([{"target": "primary", "wait_s": 600}])
        w.incident, w.codes = urgent.code, Codes(urgent.totp)
        w.run = _settle(lambda: run_named(f"acknowledge-{w.incident}"), bool) or ""
        _settle(lambda: waiting_form(w.run), bool)
    elif act == "declare-conflict":
        _report(w)
        _signoff(w, on_incident=True)
    else:
        _report(w)
        if act == "act-alone":  # the incident's run waits on its review form
            w.run = _settle(lambda: _incident_run(w.incident), bool) or ""
            _settle(lambda: waiting_form(w.run), bool)


def _final(run_id: str) -> str:
    state = read_run(run_id).state
    return f"collect-signoff: {state.name if state else None}"


def woken(act: str, w: World) -> Any:
    """Which waiting runs re-read the record after the act (waited for, up to a timeout)."""
    if act == "approve":
        return _settle(lambda: _final(w.run), lambda s: s.endswith("Completed"))
    if act == "acknowledge":
        return _settle(lambda: _escalation_and_form(w), lambda s: s == EXPECTED[act].woken)
    if act == "declare-conflict":
        return _settle(lambda: _may_still_approve(w), lambda s: "chloe" not in s)
    if act == "act-alone":
        return _settle(lambda: _review_opened(w), bool) or "the incident's run did not re-read"
    return None


def _escalation_and_form(w: World) -> tuple[str, str]:
    with db.session_scope() as session:
        escalation = get_incident(session, w.incident).escalation_flow_run_id or ""
    states = state_names(escalation)
    never = "never woken" if "Woken" not in states else "woken"
    ack = read_run(w.run).state
    return (
        f"escalate-incident: {states[-1] if states else None}, {never}",
        f"acknowledge-urgent: {ack.name if ack else None}",
    )


def _may_still_approve(w: World) -> str:
    found = re.search(r"\*\*May still approve:\*\*[^\\\n]*", form_description(w.run))
    return found.group(0) if found else ""


def _review_opened(w: World) -> str | None:
    with db.session_scope() as session:
        taken = session.scalars(select(UnilateralAction)).one()
        review = get_decision(session, taken.review_decision_id or 0)
        return "handle-incident: opened the review's sign-off" if review.flow_run_id else None


def record(act: str, w: World, channel: str) -> Any:
    """The record the act wrote, with the channel's name replaced by <channel>."""
    with db.session_scope() as session:
        if act == "approve":
            decision = get_decision(session, w.decision)
            answers = [
                (a.claimed_handle, a.verdict, a.counted, a.channel) for a in decision.approvals
            ]
            return decision.status, [(*a[:3], CH if a[3] == channel else a[3]) for a in answers]
        incident = get_incident(session, w.incident)
        if act == "acknowledge":
            first = _handle(session, incident.first_responder_id)
            return first, _trail(session, incident.code, "page.", channel)
        if act == "declare-conflict":
            conflicted = sorted(conflicted_handles(session, incident.id))
            return conflicted, _trail(session, incident.code, "conflict.", channel)
        if act == "add-note":
            return [(_handle(session, n.author_id), n.body) for n in session.scalars(select(Note))]
        taken = session.scalars(select(UnilateralAction))
        return [(_handle(session, t.member_id), t.action) for t in taken]


def _handle(session: Any, member_id: int | None) -> str | None:
    member = session.get(Member, member_id) if member_id else None
    return member.handle if member else None


def _trail(session: Any, code: str, prefix: str, channel: str) -> list[tuple[str, str, str]]:
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.incident_code == code, AuditEntry.action.startswith(prefix))
        .where(AuditEntry.action.not_in(("page.add", "page.status", "page.round")))
        .order_by(AuditEntry.seq)
    )
    return [
        (e.actor, e.action, e.detail.replace(f'"channel":"{channel}"', f'"channel":"{CH}"'))
        for e in rows
    ]


def announced(slack: FakeSlack, before: int, channel: str, handle: str) -> list[str]:
    """What the team channel was told after the act about the member's act."""
    posts = [c for c in slack.of("chat.postMessage")[before:] if c.args["channel"] == TEAM_CHANNEL]
    texts = [re.sub(r"\s+https?://\S+$", "", c.args["text"]) for c in posts]
    return [
        t.replace(f"(via {channel})", f"(via {CH})")
        for t in texts
        if handle in t and not t.startswith("Sign-off needed")
    ]


FOLLOW_UP_LOGS = {"care.follow_up", "care.orchestrate"}
ACTOR = {
    "approve": "ben",
    "acknowledge": "dev",
    "declare-conflict": "chloe",
    "add-note": "ben",
    "act-alone": "ana",
}


@pytest.mark.parametrize(("act", "channel"), CASES, ids=[f"{a}-by-{c}" for a, c in CASES])
def test_an_act_has_the_same_outcome_through_every_channel(
    world: tuple[World, FakeSlack], act: str, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    w, slack = world
    set_up(act, w)
    before = len(slack.of("chat.postMessage"))
    with caplog.at_level(logging.WARNING):
        acts.PERFORM[act](channel, w)
        woke = woken(act, w)  # first: the Prefect form's run announces as it resumes
    seen = Seen(
        woken=woke,
        record=record(act, w, channel),
        announced=announced(slack, before, channel, ACTOR[act]),
        warnings=tuple(r.getMessage() for r in caplog.records if r.name in FOLLOW_UP_LOGS),
    )
    assert seen == EXPECTED[act]
