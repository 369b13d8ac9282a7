"""What members answer in CARE's forms: one definition per form.

Each class is the whole of a form. The Prefect UI form is built from it
(``flows.forms.prefect_form``: a field marked ``Eligible`` offers the members who may act,
``Choices`` a drop-down, ``Switches`` one tick box per entry of a catalogue); a submitted
form is parsed back with it (the member list or the catalogue may have changed since, so
those fields are plain text here); and the record takes it as its input. A field added
here is in the form, the answer and the record's input at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field, model_validator

from policy.categories import Category
from policy.parties import Role, parse_new_parties
from policy.resolutions import Severity, Violation, catalogue

INTENT = ("yes", "no", "unclear")
VERDICTS = ("approve", "object")


class Eligible:
    """Marks the field that names the member: a choice of those who may act now."""


@dataclass(frozen=True)
class Choices:
    """Marks a field chosen from these values (read when the form is built)."""

    values: Callable[[], Sequence[str]]


@dataclass(frozen=True)
class Switches:
    """Marks a list of keys shown as one tick box per key, named ``<prefix><key>``."""

    values: Callable[[], Sequence[str]]
    prefix: str
    title: str  # with {} for the key


def fold_switches(raw: Any, field: str, prefix: str, order: Sequence[str]) -> Any:
    """Turn ticked ``<prefix><key>`` boxes of a submitted form into ``field``: [key, ...],
    in the catalogue's ``order`` (keys it no longer has last, for the record to refuse)."""
    if not isinstance(raw, dict) or field in raw:
        return raw
    keys = [k.removeprefix(prefix) for k, on in raw.items() if k.startswith(prefix) and on]
    rest = {k: v for k, v in raw.items() if not k.startswith(prefix)}
    rank = {key: i for i, key in enumerate(order)}
    return {**rest, field: sorted(keys, key=lambda k: rank.get(k, len(rank)))}


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


def _code() -> Any:
    return Field(
        title="Authenticator code", description="The 6-digit code from your authenticator app"
    )


Member = Annotated[str, Eligible()]
RESOLVE = "resolve_"


class FormAnswer(BaseModel):
    """A form's definition; ``form_title`` names its Prefect form."""

    form_title: ClassVar[str]


class ReviewAnswer(FormAnswer):
    """The review outcome: what happened, violation, who, intent, severity, resolutions."""

    form_title: ClassVar[str] = "Review"
    reviewer: Member = Field(title="Reviewer")
    code: str = _code()
    needs_more_information: bool = Field(default=False, title="Needs more information")
    information_to_gather: str = Field(default="", title="Information to gather")
    what_happened: str = Field(default="", title="What happened")
    category: Annotated[str, Choices(lambda: [c.value for c in Category])] = Field(
        default=Category.other.value, title="Category"
    )
    violation: Annotated[str, Choices(lambda: [v.value for v in Violation])] = Field(
        default=Violation.undetermined.value, title="Violation"
    )
    new_parties: str = Field(
        default="",
        title="People to add to the record",
        description='One "role: name" a line (reporter, reported, target or witness), e.g. '
        '"reported: Alex Doe". They are numbered on from the parties above, so the bad '
        "actors below may name them.",
    )
    bad_actors: str = Field(default="", title="Bad actors (pseudonyms, e.g. P2)")
    intentional: Annotated[str, Choices(lambda: INTENT)] = Field(
        default="unclear", title="Intentional"
    )
    severity: Annotated[str, Choices(lambda: [s.value for s in Severity])] = Field(
        default=Severity.low.value, title="Severity"
    )
    resolutions: Annotated[
        list[str],
        Switches(lambda: [r.key for r in catalogue()], RESOLVE, "Resolution: {}"),
    ] = Field(default_factory=list)
    other_resolution: str = Field(default="", title="Other resolution")
    reporter_explanation: str = Field(default="", title="Reasoning for the reporter")
    happened_in_public: bool = Field(default=False, title="Happened in public")
    law_enforcement_involved: bool = Field(default=False, title="Law enforcement involved")
    conflicts_declared: str = Field(default="", title="Conflicts declared (handles)")

    @model_validator(mode="before")
    @classmethod
    def _ticked(cls, raw: Any) -> Any:
        return fold_switches(raw, "resolutions", RESOLVE, [r.key for r in catalogue()])

    def conflicts(self) -> list[str]:
        """The handles of the members declaring a conflict."""
        return [h.lower() for h in _split(self.conflicts_declared)]

    def people_to_add(self) -> list[tuple[Role, str]]:
        """The people this review adds, as (role, name); PartyRefused says which entry is wrong."""
        return parse_new_parties(self.new_parties)

    def pseudonyms(self) -> list[str]:
        """The bad actors named, as pseudonyms (P2)."""
        return [p.upper() for p in _split(self.bad_actors)]


class FindingsAnswer(FormAnswer):
    """What was found when the review asked for more information."""

    form_title: ClassVar[str] = "Findings"
    member: Member = Field(title="Member")
    code: str = _code()
    findings: str = Field(title="What was found")


class ConversationAnswer(FormAnswer):
    """The notes of a conversation with a bad actor, and whether it took place."""

    form_title: ClassVar[str] = "Conversation"
    member: Member = Field(title="Member")
    code: str = _code()
    notes: str = Field(default="", title="Notes")
    held: bool = Field(default=False, title="The conversation took place")


class StatementAnswer(FormAnswer):
    """A member's text of a message to a reporter or of a public statement."""

    form_title: ClassVar[str] = "Statement"
    member: Member = Field(title="Member")
    code: str = _code()
    text: str = Field(title="Statement text")


class SignoffAnswer(FormAnswer):
    """A member approves or objects to a decision."""

    form_title: ClassVar[str] = "SignOff"
    member: Member = Field(title="Member", description="Who you are")
    verdict: Annotated[str, Choices(lambda: VERDICTS)] = Field(title="Verdict")
    code: str = _code()
    comment: str = Field(default="", title="Comment")


class AckAnswer(FormAnswer):
    """A member takes an urgent case."""

    form_title: ClassVar[str] = "Acknowledge"
    member: Member = Field(title="Member", description="Who you are")
    code: str = _code()


class SummaryAnswer(FormAnswer):
    """A member's anonymised summary of an incident for the transparency report."""

    form_title: ClassVar[str] = "Summary"
    member: Member = Field(title="Member", description="Who writes this summary")
    summary: str = Field(default="", title="Anonymised summary (empty: none)")
