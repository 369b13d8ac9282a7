"""A signed Slack request counts once: the same bytes sent again within the signature's five
minutes are refused (409), on every worker, while Slack's own retries, signed anew, pass."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from intake import slack_replay
from intake.app import create_app
from intake.slack_actions import OPEN_REPORT
from models import db
from models.db import utcnow
from models.tables import InboundMessage
from tests.support import slack_requests as sr
from tests.support.fake_slack import FakeSlack, running_fake_slack, slack_configured
from tests.support.seed import seed_team


@dataclass
class Slack:
    fake: FakeSlack
    client: TestClient

    def send(self, path: str, body: bytes, headers: dict[str, str]) -> Any:
        return self.client.post(f"/slack/{path}", content=body, headers=headers)


@pytest.fixture
def slack(care_db: str) -> Iterator[Slack]:
    with db.session_scope() as session:
        seed_team(session)
    with running_fake_slack() as fake, slack_configured(fake), TestClient(create_app()) as client:
        yield Slack(fake, client)


def _interaction(payload: dict[str, Any]) -> tuple[str, bytes, str]:
    return "interactivity", sr.interaction_body(payload), sr.FORM


OPENERS = {
    "slash command": ("commands", sr.form_body(sr.slash_command(trigger="T-once")), sr.FORM),
    "message shortcut": _interaction(
        sr.message_shortcut(user="UREPORTER", channel="CGEN", ts="171.0001", text="rude")
    ),
    "report button": _interaction(sr.click(OPEN_REPORT, "", user="UREPORTER")),
}


@pytest.mark.parametrize("opener", list(OPENERS.values()), ids=list(OPENERS))
def test_a_replayed_request_is_refused_and_opens_one_form(
    slack: Slack, opener: tuple[str, bytes, str]
) -> None:
    path, body, content_type = opener
    headers = sr.signed(body, content_type=content_type)
    assert slack.send(path, body, headers).status_code == 200
    replay = slack.send(path, body, headers)
    assert replay.status_code == 409
    assert replay.json() == {"detail": slack_replay.REPLAYED}
    assert len(slack.fake.of("views.open")) == 1


def test_a_replayed_submission_is_refused_but_a_redelivery_is_answered(slack: Slack) -> None:
    path, body, content_type = _interaction(sr.submission(user="UREPORTER", view_id="VONCE"))
    headers = sr.signed(body, content_type=content_type)
    assert slack.send(path, body, headers).json()["response_action"] == "update"
    assert slack.send(path, body, headers).status_code == 409
    # the same submission signed anew (another delivery) is answered as before: one report
    again = slack.send(path, body, sr.signed(body, content_type=content_type, age_s=-1))
    assert again.status_code == 200 and "already has" in json.dumps(again.json())


def test_slacks_retries_of_an_event_pass_and_a_replay_does_not(slack: Slack) -> None:
    dm = {"type": "message", "channel_type": "im", "user": "UREPORTER", "text": "hi", "ts": "1.2"}
    body = json.dumps(sr.event("EvReplay", dm)).encode()
    first = sr.signed(body, content_type="application/json")
    assert slack.send("events", body, first).status_code == 200
    # a replay of the same signed bytes: refused, even if it claims to be a retry
    assert slack.send("events", body, {**first, "X-Slack-Retry-Num": "1"}).status_code == 409
    # Slack's retries carry a new timestamp, hence a new signature: 200, handled once
    for attempt in (1, 2):
        retry = sr.signed(body, content_type="application/json", age_s=-attempt)
        retry |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        assert slack.send("events", body, retry).status_code == 200
    assert len(slack.fake.of("chat.postMessage")) == 1


def test_one_of_many_workers_at_once_wins(care_db: str) -> None:
    """Each thread has its own database connection, as each uvicorn worker would."""
    start, wins = threading.Barrier(6), []

    def worker() -> None:
        start.wait()
        wins.append(slack_replay.first_use("v0=" + "ab" * 32))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 5 + [True]


def test_signatures_are_forgotten_once_none_could_still_be_valid(care_db: str) -> None:
    now = utcnow()
    ages = {"old": slack_replay.KEEP + timedelta(seconds=1), "recent": timedelta(minutes=4)}
    with db.session_scope() as session:
        for key, age in ages.items():
            session.add(InboundMessage(source=slack_replay.SOURCE, key=key, received_at=now - age))
        session.add(InboundMessage(source="twilio", key="SM-old", received_at=now - timedelta(1)))
    assert slack_replay.first_use("v0=" + "cd" * 32)
    with db.session_scope() as session:
        kept = session.scalars(select(InboundMessage.key).order_by(InboundMessage.key)).all()
    assert len(kept) == 3 and {"SM-old", "recent"} <= set(kept) and "old" not in kept
