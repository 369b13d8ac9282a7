"""The forms CARE members fill in the Prefect UI when a lifecycle step waits for them.

Each form names the member from a drop-down of those who may act and asks for their
authenticator code, because the Prefect server has one shared login and a typed name
proves nothing. What a member types is moved into CARE's encrypted database and deleted
from Prefect as soon as the flow reads it.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from prefect.input import RunInput
from pydantic import BaseModel, Field, create_model

from policy.categories import Category
from policy.resolutions import Resolution, Severity, Violation

CODE_FIELD = (
    str,
    Field(title="Authenticator code", description="The 6-digit code from your authenticator app"),
)


def choice(values: list[str]) -> Any:
    return Literal[tuple(values)]


def form(name: str, **fields: Any) -> type[RunInput]:
    return cast(type[RunInput], create_model(name, __base__=RunInput, **fields))


def review_form(eligible: list[str]) -> type[RunInput]:
    """The review outcome: what happened, violation, who, intent, severity, resolutions."""
    resolution_switches = {
        f"resolve_{r.value}": (bool, Field(default=False, title=f"Resolution: {r.value}"))
        for r in Resolution
    }
    return form(
        "Review",
        reviewer=(choice(eligible), Field(title="Reviewer")),
        code=CODE_FIELD,
        needs_more_information=(bool, Field(default=False, title="Needs more information")),
        information_to_gather=(str, Field(default="", title="Information to gather")),
        what_happened=(str, Field(default="", title="What happened")),
        category=(
            choice([c.value for c in Category]),
            Field(default=Category.other.value, title="Category"),
        ),
        violation=(
            choice([v.value for v in Violation]),
            Field(default=Violation.undetermined.value, title="Violation"),
        ),
        bad_actors=(str, Field(default="", title="Bad actors (pseudonyms, e.g. P2)")),
        intentional=(
            choice(["yes", "no", "unclear"]),
            Field(default="unclear", title="Intentional"),
        ),
        severity=(
            choice([s.value for s in Severity]),
            Field(default=Severity.low.value, title="Severity"),
        ),
        **resolution_switches,
        other_resolution=(str, Field(default="", title="Other resolution")),
        reporter_explanation=(str, Field(default="", title="Reasoning for the reporter")),
        happened_in_public=(bool, Field(default=False, title="Happened in public")),
        law_enforcement_involved=(bool, Field(default=False, title="Law enforcement involved")),
        conflicts_declared=(str, Field(default="", title="Conflicts declared (handles)")),
    )


class ReviewAnswer(BaseModel):
    """A submitted review form, as read back (the member list may have changed since)."""

    reviewer: str
    code: str = ""
    needs_more_information: bool = False
    information_to_gather: str = ""
    what_happened: str = ""
    category: str = Category.other.value
    violation: str = Violation.undetermined.value
    bad_actors: str = ""
    intentional: str = "unclear"
    severity: str = Severity.low.value
    other_resolution: str = ""
    reporter_explanation: str = ""
    happened_in_public: bool = False
    law_enforcement_involved: bool = False
    resolve_no_action: bool = False
    resolve_stop_behaviour: bool = False
    resolve_no_further_contact: bool = False
    resolve_do_not_publish_video: bool = False
    resolve_cancel_talk: bool = False
    resolve_remove_without_refund: bool = False
    resolve_other: bool = False
    conflicts_declared: str = ""

    def conflicts(self) -> list[str]:
        parts = self.conflicts_declared.replace(";", ",").split(",")
        return [p.strip().lower() for p in parts if p.strip()]

    def resolutions(self) -> list[str]:
        return [r.value for r in Resolution if getattr(self, f"resolve_{r.value}")]

    def pseudonyms(self) -> list[str]:
        return [
            p.strip().upper() for p in self.bad_actors.replace(";", ",").split(",") if p.strip()
        ]


def findings_form(eligible: list[str]) -> type[RunInput]:
    return form(
        "Findings",
        member=(choice(eligible), Field(title="Member")),
        code=CODE_FIELD,
        findings=(str, Field(title="What was found")),
    )


class FindingsAnswer(BaseModel):
    member: str
    code: str = ""
    findings: str = ""


def conversation_form(members: list[str]) -> type[RunInput]:
    return form(
        "Conversation",
        member=(choice(members), Field(title="Member")),
        code=CODE_FIELD,
        notes=(str, Field(default="", title="Notes")),
        held=(bool, Field(default=False, title="The conversation took place")),
    )


class ConversationAnswer(BaseModel):
    member: str
    code: str = ""
    notes: str = ""
    held: bool = False


def statement_form(eligible: list[str]) -> type[RunInput]:
    return form(
        "Statement",
        member=(choice(eligible), Field(title="Member")),
        code=CODE_FIELD,
        text=(str, Field(title="Statement text")),
    )


class StatementAnswer(BaseModel):
    member: str
    code: str = ""
    text: str = ""
