"""Case codes like DCE26-7 and SMS acknowledgements like "ACK DCE26-7"."""

from __future__ import annotations

import pytest

from policy.codes import incident_code, parse_ack_sms, parse_incident_code, valid_code_prefix


@pytest.mark.parametrize(
    ("prefix", "number", "expected"),
    [
        pytest.param("DCE26", 7, "DCE26-7", id="the seventh case of DjangoCon Europe 2026"),
        pytest.param("DCE", 17, "DCE-17", id="a prefix without digits"),
        pytest.param("dce26", 7, None, id="a lowercase prefix is refused"),
        pytest.param("DCE26", 0, None, id="cases are numbered from 1"),
    ],
)
def test_incident_code(prefix: str, number: int, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            incident_code(prefix, number)
        return
    assert incident_code(prefix, number) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("DCE26-7", ("DCE26", 7), id="as printed"),
        pytest.param("dce26-7", ("DCE26", 7), id="typed in lowercase"),
        pytest.param("  DCE26 - 7 ", ("DCE26", 7), id="with spaces"),
        pytest.param("DCE26-007", ("DCE26", 7), id="with leading zeros"),
        pytest.param("DCE26", None, id="no number"),
        pytest.param("DCE26-0", None, id="case zero"),
        pytest.param("26DCE-7", None, id="prefix starting with a digit"),
        pytest.param("DCE26-7x", None, id="trailing letters"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_incident_code(text: str, expected: tuple[str, int] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="not a case code like DCE26-7"):
            parse_incident_code(text)
        return
    assert parse_incident_code(text) == expected


@pytest.mark.parametrize(
    ("prefix", "valid"),
    [
        pytest.param("DCE26", True, id="letters and digits"),
        pytest.param("DC", True, id="two characters"),
        pytest.param("ABCDEFGHIJKL", True, id="twelve characters"),
        pytest.param("ABCDEFGHIJKLM", False, id="thirteen characters"),
        pytest.param("D", False, id="one character"),
        pytest.param("2026", False, id="starting with a digit"),
        pytest.param("Dce", False, id="lowercase letters"),
        pytest.param("DCE-26", False, id="a hyphen"),
        pytest.param("", False, id="empty"),
    ],
)
def test_valid_code_prefix(prefix: str, valid: bool) -> None:
    assert valid_code_prefix(prefix) is valid


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("ACK DCE26-7", (True, "DCE26-7"), id="reply ACK and the code"),
        pytest.param("ack dce26-7", (True, "DCE26-7"), id="in lowercase"),
        pytest.param(" ACK  DCE26-7 thanks", (True, "DCE26-7"), id="with extra words"),
        pytest.param("Ack", (True, None), id="ACK without a code"),
        pytest.param("ACK. DCE26-7.", (True, "DCE26-7"), id="with punctuation"),
        pytest.param("ACK soon", (True, None), id="ACK with something that is not a code"),
        pytest.param("DCE26-7 ACK", (False, None), id="ACK must come first"),
        pytest.param("ACKNOWLEDGED DCE26-7", (False, None), id="another word"),
        pytest.param("", (False, None), id="an empty message"),
    ],
)
def test_parse_ack_sms(body: str, expected: tuple[bool, str | None]) -> None:
    assert parse_ack_sms(body) == expected
