"""What members answer in CARE's forms: one definition per form.

Each class is the whole of a form. The Prefect UI form is built from it
(``flows.forms.prefect_form``: a field marked ``Eligible`` offers the members who may act,
``Choices`` a drop-down, ``Switches`` one tick box per entry of a catalogue); a submitted
form is parsed back with it (the member list or the catalogue may have changed since, so
those fields are plain text here); and the record takes it as its input. A field added
here is in the form, the answer and the record's input at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field, model_validator

from policy.categories import CATEGORY_LABELS, Category
from policy.parties import Role, parse_new_parties
from policy.resolutions import Severity, Violation, catalogue

INTENT = ("yes", "no", "unclear")
VERDICTS = ("approve", "object")
# what each choice reads as in a form; the record keeps the key
INTENT_LABELS = {"yes": "Yes, on purpose", "no": "No, not on purpose", "unclear": "Not clear"}
VIOLATION_LABELS = {
    Violation.yes.value: "Yes, it was a violation",
    Violation.no.value: "No, it was not a violation",
    Violation.undetermined.value: "Not determined",
}
SEVERITY_LABELS = {s.value: s.value.capitalize() for s in Severity}
VERDICT_LABELS = {"approve": "I approve", "object": "I object: it goes back to its proposer"}


class Eligible:
    """Marks the field that names the member: a choice of those who may act now."""


@dataclass(frozen=True)
class Choices:
    """Marks a field chosen from these values (read when the form is built).

    With ``labels``, the form offers each value's label and the answer takes the label
    (or the value itself, as forms of earlier releases sent it) back to the value.
    """

    values: Callable[[], Sequence[str]]
    labels: Mapping[str, str] | None = None

    def label(self, value: str) -> str:
        return (self.labels or {}).get(value, value)

    def value_of(self, given: Any) -> Any:
        by_label = {label: value for value, label in (self.labels or {}).items()}
        return by_label.get(given, given) if isinstance(given, str) else given


@dataclass(frozen=True)
class Switches:
    """Marks a list of keys shown as one tick box per key, named ``<prefix><key>``."""

    values: Callable[[], Sequence[str]]
    prefix: str
    title: str  # with {} for the key's label
    label: Callable[[str], str] = str

    def title_of(self, key: str) -> str:
        return self.title.format(self.label(key))


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
        title="Your authenticator code",
        description="The 6-digit code your authenticator app shows now",
    )


def _you(description: str = "Who you are: your handle in the CARE team") -> Any:
    return Field(title="You are", description=description)


def _resolution_label(key: str) -> str:
    return next((r.label for r in catalogue() if r.key == key), key.replace("_", " "))


Member = Annotated[str, Eligible()]
RESOLVE = "resolve_"


class FormAnswer(BaseModel):
    """A form's definition; ``form_title`` names its Prefect form."""

    form_title: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _values_of_labels(cls, raw: Any) -> Any:
        """A choice answered by its label (as the form offers it) is recorded by its value."""
        if not isinstance(raw, dict):
            return raw
        given = dict(raw)
        for name, info in cls.model_fields.items():
            marker = next((m for m in info.metadata if isinstance(m, Choices)), None)
            if marker is not None and name in given:
                given[name] = marker.value_of(given[name])
        return given


class ReviewAnswer(FormAnswer):
    """The review outcome: what happened, violation, who, intent, severity, resolutions."""

    form_title: ClassVar[str] = "Review"
    reviewer: Member = _you("Who you are: the reviewer's handle in the CARE team")
    code: str = _code()
    needs_more_information: bool = Field(
        default=False, title="More information is needed before the team decides"
    )
    information_to_gather: str = Field(
        default="", title="What information to gather, if more is needed"
    )
    what_happened: str = Field(default="", title="What happened, as the team understands it")
    category: Annotated[
        str,
        Choices(
            lambda: [c.value for c in Category], {c.value: t for c, t in CATEGORY_LABELS.items()}
        ),
    ] = Field(default=Category.other.value, title="Which part of the Code of Conduct is it about?")
    violation: Annotated[str, Choices(lambda: [v.value for v in Violation], VIOLATION_LABELS)] = (
        Field(
            default=Violation.undetermined.value, title="Was it a violation of the Code of Conduct?"
        )
    )
    new_parties: str = Field(
        default="",
        title="People to add to the record",
        description='One "role: name" a line (reporter, reported, target or witness), e.g. '
        '"reported: Alex Doe". They are numbered on from the parties above, so the bad '
        "actors below may name them.",
    )
    bad_actors: str = Field(
        default="", title="Bad actors: who behaved badly, by pseudonym (e.g. P2)"
    )
    intentional: Annotated[str, Choices(lambda: INTENT, INTENT_LABELS)] = Field(
        default="unclear", title="Was it done on purpose?"
    )
    severity: Annotated[str, Choices(lambda: [s.value for s in Severity], SEVERITY_LABELS)] = Field(
        default=Severity.low.value, title="How severe was it?"
    )
    resolutions: Annotated[
        list[str],
        Switches(
            lambda: [r.key for r in catalogue()], RESOLVE, "Resolve with: {}", _resolution_label
        ),
    ] = Field(default_factory=list)
    other_resolution: str = Field(
        default="", title="Another resolution: describe it (tick \u201cResolve with: Other\u201d)"
    )
    reporter_explanation: str = Field(
        default="", title="What to tell the reporter: the outcome and the reasons for it"
    )
    happened_in_public: bool = Field(
        default=False, title="It happened in public (a talk, a public space or channel)"
    )
    law_enforcement_involved: bool = Field(default=False, title="Law enforcement is involved")
    conflicts_declared: str = Field(
        default="",
        title="Conflicts declared: members with a conflict of interest (e.g. ben, chloe)",
    )

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
    member: Member = _you()
    code: str = _code()
    findings: str = Field(title="What you found")


class ConversationAnswer(FormAnswer):
    """The notes of a conversation with a bad actor, and whether it took place."""

    form_title: ClassVar[str] = "Conversation"
    member: Member = _you()
    code: str = _code()
    notes: str = Field(default="", title="Your notes of the conversation")
    held: bool = Field(default=False, title="The conversation took place")


class StatementAnswer(FormAnswer):
    """A member's text of a message to a reporter or of a public statement."""

    form_title: ClassVar[str] = "Statement"
    member: Member = _you()
    code: str = _code()
    text: str = Field(title="The text, as it will be sent or published")


class SignoffAnswer(FormAnswer):
    """A member approves or objects to a decision."""

    form_title: ClassVar[str] = "SignOff"
    member: Member = _you()
    verdict: Annotated[str, Choices(lambda: VERDICTS, VERDICT_LABELS)] = Field(
        title="Do you approve it?"
    )
    code: str = _code()
    comment: str = Field(default="", title="Your comment")


class AckAnswer(FormAnswer):
    """A member takes an urgent case."""

    form_title: ClassVar[str] = "Acknowledge"
    member: Member = _you()
    code: str = _code()


class SummaryAnswer(FormAnswer):
    """A member's anonymised summary of an incident for the transparency report."""

    form_title: ClassVar[str] = "Summary"
    member: Member = _you("Who you are: the member who writes this summary")
    summary: str = Field(
        default="", title="The anonymised summary for the transparency report (empty: none)"
    )


def offered(field: str, value: Any) -> Any:
    """How a form offers a choice's value: its label (a value of no labelled choice: as is)."""
    for definition in FormAnswer.__subclasses__():
        info = definition.model_fields.get(field)
        marker = next((m for m in info.metadata if isinstance(m, Choices)), None) if info else None
        if marker is not None and isinstance(value, str):
            return marker.label(value)
    return value
