"""The real twilio client against a fake Messages API: retries, refusals, the fake host."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from adapters.outgoing import DeliveryError, MessageOut
from adapters.sms import send
from models.settings import get_settings
from tests.support.fake_twilio import FROM, FakeTwilio, fake_twilio, use_fake_twilio

TO = "+353851234501"


def sms(body: str = "URGENT case DCE26-7. Reply ACK DCE26-7") -> MessageOut:
    return MessageOut(
        id=1,
        channel="sms",
        purpose="page",
        recipient=TO,
        subject=None,
        body=body,
        meta={},
        idempotency_key="page-DCE26-7-r0-ana-sms",
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    with fake_twilio() as running:
        use_fake_twilio(monkeypatch, running, CARE_SMS_ATTEMPTS="3")
        yield running
    get_settings.cache_clear()


def test_an_sms_reaches_the_api_with_the_status_callback(fake: FakeTwilio) -> None:
    sid = send(sms())
    [request] = fake.requests
    assert sid == request.sid and sid.startswith("SM")
    assert (request.to, request.from_) == (TO, FROM)
    assert request.body == "URGENT case DCE26-7. Reply ACK DCE26-7"
    assert request.status_callback == "https://care.example.org/twilio/status"


def test_wrong_credentials_are_refused_by_the_fake(
    fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARE_TWILIO_AUTH_TOKEN", "not-the-token")
    get_settings.cache_clear()
    with pytest.raises(DeliveryError) as failed:
        send(sms())
    assert failed.value.permanent
    assert fake.requests == []  # the fake records only authenticated requests


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_retried(fake: FakeTwilio, status: int) -> None:
    fake.fail_next(status, times=2)
    sid = send(sms())
    assert [r.status for r in fake.requests] == [status, status, 201]
    assert sid == fake.requests[-1].sid


def test_retries_back_off(fake: FakeTwilio) -> None:
    fake.fail_next(429, times=2)
    send(sms())
    first, second, third = (r.at for r in fake.requests)
    assert third - second > second - first >= 0.01


def test_a_persistent_failure_gives_up_after_the_attempts(fake: FakeTwilio) -> None:
    fake.fail_next(500, times=10)
    with pytest.raises(DeliveryError) as failed:
        send(sms())
    assert not failed.value.permanent
    assert len(fake.requests) == 3
    assert str(failed.value) == "twilio 500 code 20500"


@pytest.mark.parametrize("code", [21211, 21614])
def test_an_undeliverable_number_is_not_retried(fake: FakeTwilio, code: int) -> None:
    fake.undeliverable(TO, code)
    with pytest.raises(DeliveryError) as failed:
        send(sms())
    assert failed.value.permanent
    assert len(fake.requests) == 1
    assert TO not in str(failed.value)  # the reason carries codes, never the number


def test_a_timeout_is_retried(fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARE_TWILIO_TIMEOUT_S", "0.3")
    monkeypatch.setenv("CARE_SMS_ATTEMPTS", "2")
    get_settings.cache_clear()
    fake.delay_s = 1.0
    started = time.monotonic()
    with pytest.raises(DeliveryError) as failed:
        send(sms())
    assert not failed.value.permanent
    assert len(fake.requests) == 2
    assert time.monotonic() - started < 1.5
    assert "unreachable" in str(failed.value)


def test_an_api_that_is_down_is_a_failure_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_twilio() as gone:
        url = gone.url
    with fake_twilio() as running:
        use_fake_twilio(monkeypatch, running, CARE_SMS_ATTEMPTS="2")
        monkeypatch.setenv("CARE_TWILIO_API_BASE", url)
        get_settings.cache_clear()
        with pytest.raises(DeliveryError) as failed:
            send(sms())
    get_settings.cache_clear()
    assert not failed.value.permanent
    assert running.requests == []
