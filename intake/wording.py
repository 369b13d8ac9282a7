"""Words for people: what was wrong with a report, as a sentence the reporter can act on.

The web form, the JSON API and the Slack report modal all turn pydantic's validation
errors (and CARE's own ``InvalidInput``) into these sentences; no reporter reads a
validator's text ("Value error, ...", "String should have at least 1 character").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from models.validation import InvalidInput

EXAMPLE_PHONE = "+44 20 7946 0958"
PHONE = (
    "The phone number must be in international form, starting with + and the country code, "
    f"e.g. {EXAMPLE_PHONE}."
)
PHONE_INVALID = (
    "That phone number does not exist. Please check it: international form, starting with + "
    f"and the country code, e.g. {EXAMPLE_PHONE}."
)
EMAIL = "The e-mail address does not look right. Please check it, e.g. name@example.org."
CONTACT = (
    "Please give an e-mail address, or a phone number in international form starting with + "
    f"and the country code, e.g. {EXAMPLE_PHONE}."
)
NARRATIVE = "Please tell us what happened. It is the only question you must answer."
UNREADABLE = "The report could not be read. Please send it as a JSON object of its fields."

# each field (web names and ReportIn names) as the form asks for it
QUESTIONS = {
    "what_happened": "What happened?",
    "narrative": "What happened?",
    "when": "When did it happen?",
    "when_text": "When did it happen?",
    "where": "Where did it happen?",
    "where_text": "Where did it happen?",
    "involved": "Who was involved?",
    "involved_text": "Who was involved?",
    "witnesses": "Did anyone else see it?",
    "witnesses_text": "Did anyone else see it?",
    "name": "Your name",
    "reporter_name": "Their name",
    "contact": "E-mail address or phone number",
    "reporter_contact": "E-mail address or phone number",
    "anonymous": "I want to stay anonymous",
    "consent_to_contact": "The team may contact me",
    "danger": "Is anyone in danger right now?",
}
# the start of CARE's own validators' messages -> (sentence, the field it is about)
BY_MESSAGE = (
    ("not a phone number in international form", PHONE, "contact"),
    ("not a valid phone number", PHONE_INVALID, "contact"),
    ("not a valid e-mail address", EMAIL, "contact"),
    ("contact: give an e-mail address or a phone number", CONTACT, "contact"),
    ("contact_kind is required", CONTACT, "contact"),
    (
        "Idempotency-Key:",
        "The Idempotency-Key header must be 8 to 128 characters from A-Z, a-z, 0-9 and _.:-.",
        None,
    ),
)


@dataclass(frozen=True)
class Said:
    """One problem with a report, as a sentence; ``field`` is the field it is about."""

    text: str
    field: str | None = None


def explain(exc: ValidationError | InvalidInput) -> list[Said]:
    """Every problem (at most ten) as a sentence, each once, in the order found."""
    if isinstance(exc, InvalidInput):
        return [from_message(str(exc), None)]
    said: list[Said] = []
    for error in exc.errors()[:10]:
        one = sentence(error)
        if one.text not in (s.text for s in said):
            said.append(one)
    return said


def texts(exc: ValidationError | InvalidInput) -> list[str]:
    return [s.text for s in explain(exc)]


def sentence(error: Mapping[str, Any]) -> Said:
    """One pydantic error as a sentence."""
    kind = str(error.get("type", ""))
    loc = [str(p) for p in error.get("loc", ()) if isinstance(p, str)]
    field = loc[-1] if loc else None
    question = QUESTIONS.get(field or "")
    answer = f"the answer to \u201c{question}\u201d" if question else "one of the answers"
    ctx = error.get("ctx") or {}
    if kind == "value_error" or kind == "assertion_error":
        return from_message(str(error.get("msg", "")).removeprefix("Value error, "), field)
    if field in ("what_happened", "narrative") and kind in ("missing", "string_too_short"):
        return Said(NARRATIVE, field)
    if kind in ("missing", "string_too_short"):
        return Said(f"Please fill in {answer}.", field)
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        most = f"at most {limit:,} characters" if isinstance(limit, int) else "shorter"
        return Said(f"{answer[0].upper()}{answer[1:]} is too long: it can be {most}.", field)
    if kind == "string_pattern_mismatch" and field == "idempotency_key":
        return Said(
            "The form's reference is damaged. Please send the report again; "
            "what you wrote is kept.",
            field,
        )
    if kind == "extra_forbidden":
        return Said(f"A report has no field called {field!r}. Please leave it out.", field)
    if kind.startswith("bool"):
        return Said(f"Please answer {answer.removeprefix('the answer to ')} with yes or no.", field)
    if kind == "string_unicode":
        return from_message("not valid text", field)
    if kind.startswith("string"):
        return Said(f"Please write {answer} as text.", field)
    if kind in ("json_invalid", "json_type", "model_type", "model_attributes_type", "dict_type"):
        return Said(UNREADABLE, None)
    return Said(f"Please check {answer}.", field)


def from_message(message: str, field: str | None) -> Said:
    """A message of CARE's own validators as a sentence."""
    for start, text, about in BY_MESSAGE:
        if message.startswith(start):
            return Said(text, field if field not in (None, "", "__root__") else about)
    question = QUESTIONS.get(field or "")
    answer = f"the answer to \u201c{question}\u201d" if question else "one of the answers"
    if "not valid text" in message or "NUL" in message:
        return Said(f"Some characters of {answer} cannot be read. Please remove them.", field)
    text = message.strip().rstrip(".") or f"Please check {answer}"
    return Said(text[0].upper() + text[1:] + ".", field)
