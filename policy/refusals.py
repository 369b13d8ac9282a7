"""Why a member's answer was not counted, in plain words for the member who gave it.

A refusal is a short key (``policy.signoff.Refusal`` and a few of the lifecycle's own);
the sentence continues "The answer of demo-ana was not counted: ...". A refusal that is
not a key (a record's own explanation of a field, already in plain words) is kept as it is.
"""

from __future__ import annotations

from policy.signoff import Refusal

NOT_HOLDER = "not_holder"
ALREADY_ANSWERED = "already_answered"

SENTENCES: dict[str, str] = {
    Refusal.bad_code: "the code was wrong or had expired",
    Refusal.code_reused: "the code was already used (each code counts once); "
    "type the next code your app shows",
    Refusal.conflicted: "they are not allowed to answer because they declared a conflict "
    "of interest on this incident",
    Refusal.inactive: "they are not allowed to answer because their membership is not active",
    Refusal.unknown_member: "they are not allowed to answer because they are not on the team",
    Refusal.already_counted: "their answer was already counted",
    Refusal.decision_closed: "it was already decided, so no answer counts any more",
    Refusal.text_not_read: "the text had not been shown to them yet: read it in the console "
    "first, then approve",
    NOT_HOLDER: "they are not allowed to answer because they do not hold this conversation",
    ALREADY_ANSWERED: "they are not allowed to answer because this step was already answered",
}


def refusal_sentence(reason: str) -> str:
    """The plain words for a refusal key; any other text is returned as it is."""
    return SENTENCES.get(reason, reason)


def to_you(reason: str) -> str:
    """The plain words addressed to the member themselves (a reply to their SMS or command)."""
    words = refusal_sentence(reason)
    for they, you in (
        ("they are", "you are"),
        ("they declared", "you declared"),
        ("they do", "you do"),
        ("their", "your"),
        ("to them", "to you"),
    ):
        words = words.replace(they, you)
    return words


def not_counted(member: str, reason: str) -> str:
    """The sentence a member reads when their answer did not count."""
    return f"The answer of {member} was not counted: {refusal_sentence(reason)}"


def counted(what: str, code: str, member: str) -> str:
    """The sentence a member reads when their answer counted."""
    return f"Your {what} of {code} was recorded (by {member})"
