"""Which kind of contact a reporter typed: an e-mail address, a phone number, a Slack id."""

from __future__ import annotations

import re

from models.schemas import ContactKind
from models.validation import InvalidInput

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{6,20}$")


def contact_kind(raw: str, *, allow_slack: bool = False) -> ContactKind:
    """Guess the kind of a contact; InvalidInput if it is none of them."""
    value = raw.strip()
    if "@" in value:
        return "email"
    if allow_slack and SLACK_USER.match(value):
        return "slack"
    if re.fullmatch(r"[+0-9][0-9 ()./-]{5,30}", value):
        return "phone"
    raise InvalidInput(
        "contact: give an e-mail address or a phone number in international form (+CC...)"
    )
