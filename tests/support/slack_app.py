"""Slack intake under test: signed requests to the intake app, Slack's Web API faked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intake.app import create_app
from models import db
from models.tables import Message
from policy.signoff import DecisionKind
from record import decisions as svc
from record.incidents import get_incident
from tests.support import slack_requests as sr
from tests.support.fake_slack import FakeSlack, running_fake_slack, slack_configured
from tests.support.seed import seed_report, seed_team


@dataclass
class Slack:
    fake: FakeSlack
    client: TestClient

    def post(self, path: str, body: bytes, content_type: str, **sign: Any) -> Any:
        headers = sr.signed(body, content_type=content_type, **sign)
        return self.client.post(f"/slack/{path}", content=body, headers=headers)

    def interact(self, payload: dict[str, Any], **sign: Any) -> Any:
        return self.post("interactivity", sr.interaction_body(payload), sr.FORM, **sign)

    def event(self, payload: dict[str, Any], **sign: Any) -> Any:
        return self.post("events", json.dumps(payload).encode(), "application/json", **sign)

    def response_url(self, name: str = "r1") -> str:
        return f"{self.fake.base_url}/response/{name}"

    def private_replies(self) -> list[str]:
        urls = [c.args.get("text", "") for c in self.fake.of("response_url")]
        return urls + [c.args.get("text", "") for c in self.fake.of("chat.postEphemeral")]


def running_slack() -> Iterator[Slack]:
    """The seeded team, the fake Slack Web API, and the intake app signed for Slack."""
    with db.session_scope() as session:
        seed_team(session)
    with running_fake_slack() as fake, slack_configured(fake), TestClient(create_app()) as client:
        yield Slack(fake, client)


def count_rows(model: type) -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def posted_to(channel: str, slack: Slack) -> list[dict[str, Any]]:
    return [c.args for c in slack.fake.of("chat.postMessage") if c.args["channel"] == channel]


def sent_by_purpose() -> dict[str, list[str]]:
    """Each outgoing message's status, by purpose ("acknowledgement", "team_notice", ...)."""
    with db.session_scope() as session:
        found: dict[str, list[str]] = {}
        for message in session.scalars(select(Message).order_by(Message.id)):
            found.setdefault(message.purpose, []).append(message.status)
        return found


def proposed_decision() -> tuple[str, int]:
    """A new report's incident and a review-outcome decision on it: (code, decision id)."""
    with db.session_scope() as session:
        incident = get_incident(session, seed_report(session))
        decision = svc.propose(
            session,
            kind=DecisionKind.review_outcome,
            summary="violation: yes; stop_behaviour",
            proposer="ana",
            incident=incident,
        )
        return incident.code, decision.id
