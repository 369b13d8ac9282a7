"""The mail sender against a real SMTP server: threading, and which failures are permanent."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from adapters.outgoing import DeliveryError, MessageOut
from adapters.smtp import send
from models.settings import get_settings
from tests.support.smtp import free_port, smtp_server


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    os.environ.pop("CARE_SMTP_HOST", None)
    os.environ.pop("CARE_SMTP_PORT", None)
    get_settings.cache_clear()


def _out(**meta: str) -> MessageOut:
    return MessageOut(
        id=7,
        channel="email",
        purpose="acknowledgement",
        recipient="robin@example.net",
        subject="We received your report (DCE26-3)",
        body="Thank you. Your case code is DCE26-3.\n",
        meta=dict(meta),
        idempotency_key="ack-report-3",
    )


def test_reply_goes_into_the_reporters_thread() -> None:
    with smtp_server() as inbox:
        message_id = send(_out(in_reply_to="<orig@example.net>"))
        [mail] = inbox.wait_for(1)
    assert mail["Message-ID"] == message_id
    assert mail["In-Reply-To"] == mail["References"] == "<orig@example.net>"
    assert (mail["To"], mail["From"]) == ("robin@example.net", get_settings().mail_from)
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail.get_content().strip() == "Thank you. Your case code is DCE26-3."


def test_a_message_without_thread_starts_one() -> None:
    with smtp_server() as inbox:
        send(_out())
        [mail] = inbox.wait_for(1)
    assert mail["In-Reply-To"] is None and mail["Auto-Submitted"] == "auto-generated"


def test_a_refused_recipient_is_permanent_and_says_nothing_personal() -> None:
    with smtp_server() as inbox:
        inbox.refuse = "550 5.1.1 no such user"
        with pytest.raises(DeliveryError) as caught:
            send(_out())
    assert caught.value.permanent and "550" in str(caught.value)
    assert "robin" not in str(caught.value)


def test_a_busy_or_absent_server_is_worth_retrying() -> None:
    with smtp_server() as inbox:
        inbox.refuse = "451 4.3.0 try again later"
        with pytest.raises(DeliveryError) as busy:
            send(_out())
    assert not busy.value.permanent
    os.environ["CARE_SMTP_HOST"] = "127.0.0.1"
    os.environ["CARE_SMTP_PORT"] = str(free_port())  # nobody listens there
    get_settings.cache_clear()
    with pytest.raises(DeliveryError) as absent:
        send(_out())
    assert not absent.value.permanent
