"""The Slack sender as the dispatcher relies on it: the real slack_sdk against a fake API."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from adapters.outgoing import DeliveryError, MessageOut
from adapters.slack import send
from models.settings import get_settings
from tests.support.fake_slack import FakeSlack, running_fake_slack, slack_configured


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with running_fake_slack() as fake, slack_configured(fake):
        yield fake


def _message(recipient: str = "C123", **meta: object) -> MessageOut:
    return MessageOut(
        id=1,
        channel="slack",
        purpose="team_notice",
        recipient=recipient,
        subject=None,
        body="New report for DCE26-1",
        meta=dict(meta),
        idempotency_key="k1",
    )


def test_posts_to_the_channel_with_the_bot_token_and_returns_the_ts(fake: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    ts = send(_message(blocks=blocks))
    [call] = fake.of("chat.postMessage")
    assert call.authorization == f"Bearer {fake.token}"
    assert call.args["channel"] == "C123"
    assert call.args["text"] == "New report for DCE26-1"
    assert call.args["blocks"] == blocks
    assert ts and "." in ts


def test_a_user_id_is_posted_to_as_a_direct_message(fake: FakeSlack) -> None:
    send(_message("UBEN"))
    assert fake.of("chat.postMessage")[0].args["channel"] == "UBEN"


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "invalid_auth"])
def test_errors_that_will_not_go_away_are_permanent(fake: FakeSlack, error: str) -> None:
    fake.fail("chat.postMessage", error)
    with pytest.raises(DeliveryError) as caught:
        send(_message())
    assert caught.value.permanent
    assert error in str(caught.value)


def test_a_server_error_is_not_permanent(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "internal_error", status=200)
    with pytest.raises(DeliveryError) as caught:
        send(_message())
    assert not caught.value.permanent


def test_rate_limit_is_retried_after_retry_after(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "ratelimited", status=429)
    assert send(_message())
    assert len(fake.of("chat.postMessage")) == 2


def test_an_unreachable_slack_is_a_transient_failure(
    fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CARE_SLACK_API_BASE", f"http://127.0.0.1:{port}/api/")
    get_settings.cache_clear()
    with pytest.raises(DeliveryError) as caught:
        send(_message())
    assert not caught.value.permanent


def test_no_recipient_is_refused_before_calling_slack(fake: FakeSlack) -> None:
    with pytest.raises(DeliveryError) as caught:
        send(_message(""))
    assert caught.value.permanent
    assert fake.of("chat.postMessage") == []
