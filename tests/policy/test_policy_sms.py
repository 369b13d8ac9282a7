"""The SMS that pages a member: code, urgency, link; no personal data; one GSM-7 segment."""

from __future__ import annotations

import pytest

from policy.sms import fits_one_segment, gsm7_septets, page_link, page_text
from tests.support.seed import SECRETS


@pytest.mark.parametrize(
    ("text", "septets"),
    [
        pytest.param("ACK DCE26-7", 11, id="plain ASCII: one septet each"),
        pytest.param("a[b]", 6, id="brackets are GSM-7 extension characters: two septets"),
        pytest.param("€", 2, id="the euro sign is an extension character"),
        pytest.param("café", 4, id="é is in the GSM-7 basic set"),
        pytest.param("ç", None, id="a lowercase c-cedilla needs UCS-2"),
        pytest.param("🚨", None, id="an emoji needs UCS-2"),
    ],
)
def test_gsm7_septets(text: str, septets: int | None) -> None:
    assert gsm7_septets(text) == septets


def test_one_segment_is_160_septets() -> None:
    assert fits_one_segment("x" * 160)
    assert not fits_one_segment("x" * 161)
    assert not fits_one_segment("x" * 79 + "€" * 41)


@pytest.mark.parametrize(
    "public_url",
    [
        "http://127.0.0.1:8000",
        "https://care.djangocon.eu",
        "https://coc-response.conference-organisers.example.org/care/",
    ],
)
@pytest.mark.parametrize("code", ["DCE26-7", "PYCONUS2026-1234", "ABCDEFGHIJKL-999999999"])
def test_page_text_fits_one_segment_and_says_what_matters(public_url: str, code: str) -> None:
    text = page_text(code, public_url)
    assert fits_one_segment(text), (len(text), text)
    assert "URGENT" in text
    assert code in text
    assert page_link(public_url, code) in text
    assert page_link(public_url, code).endswith(f"/console/incidents/{code}")
    assert "ACK" in text
    for secret in SECRETS.values():
        assert secret not in text


def test_the_usual_page_asks_for_ack_with_the_code() -> None:
    text = page_text("DCE26-7", "https://care.djangocon.eu")
    assert "Reply ACK DCE26-7" in text
    assert text.endswith("https://care.djangocon.eu/console/incidents/DCE26-7")


def test_a_url_too_long_for_one_sms_is_left_out_not_the_page() -> None:
    text = page_text("DCE26-7", "https://" + "x" * 150 + ".example.org")
    assert text == "CARE: URGENT case DCE26-7. Reply ACK DCE26-7 to take it."
