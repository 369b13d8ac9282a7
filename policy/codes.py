"""Case codes like DCE26-7, and acknowledgements sent back by SMS."""

from __future__ import annotations

import re

PREFIX = re.compile(r"[A-Z][A-Z0-9]{1,11}")
CODE = re.compile(r"([A-Z][A-Z0-9]{1,11})-(\d{1,9})")
PUNCTUATION = ".,;:!?"


def valid_code_prefix(prefix: str) -> bool:
    """True for 2-12 uppercase letters and digits starting with a letter."""
    return PREFIX.fullmatch(prefix) is not None


def incident_code(prefix: str, number: int) -> str:
    """The case code for incident ``number`` of an event, like DCE26-7."""
    if not valid_code_prefix(prefix):
        raise ValueError(f"not a case code prefix like DCE26: {prefix!r}")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"a case number must be a whole number from 1, not {number!r}")
    return f"{prefix}-{number}"


def parse_incident_code(text: str) -> tuple[str, int]:
    """The prefix and number of a case code, whatever its case and spacing."""
    match = CODE.fullmatch("".join(text.split()).upper())
    if match is None or int(match.group(2)) < 1:
        raise ValueError(f"not a case code like DCE26-7: {text!r}")
    return match.group(1), int(match.group(2))


def parse_ack_sms(body: str) -> tuple[bool, str | None]:
    """Whether an SMS acknowledges a page, and the case code it names, if any."""
    words = [word.strip(PUNCTUATION) for word in body.split()]
    if not words or words[0].upper() != "ACK":
        return False, None
    if len(words) < 2:
        return True, None
    try:
        return True, incident_code(*parse_incident_code(words[1]))
    except ValueError:
        return True, None
