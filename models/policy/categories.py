"""Incident categories, keyed to the clauses of the conference's Code of Conduct.

The keys are what ``Incident.category`` holds and what the transparency report counts;
the labels are the wording a public report prints.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """The Code of Conduct clause an incident falls under."""

    offensive_comments = "offensive_comments"
    sexual_imagery = "sexual_imagery"
    intimidation = "intimidation"
    stalking = "stalking"
    unwanted_photography = "unwanted_photography"
    disruption = "disruption"
    physical_contact = "physical_contact"
    sexual_attention = "sexual_attention"
    threats = "threats"
    disrespect = "disrespect"
    personal_information = "personal_information"
    other = "other"


CATEGORY_LABELS: dict[Category, str] = {
    Category.offensive_comments: "Offensive comments (gender, identity, age, orientation, "
    "disability, appearance, race, religion, technology choices)",
    Category.sexual_imagery: "Sexual images in public spaces",
    Category.intimidation: "Deliberate intimidation",
    Category.stalking: "Stalking or following",
    Category.unwanted_photography: "Harassing photography or recording",
    Category.disruption: "Sustained disruption of talks or other events",
    Category.physical_contact: "Inappropriate physical contact",
    Category.sexual_attention: "Unwelcome sexual attention",
    Category.threats: "Violent threats or language",
    Category.disrespect: "Not being friendly, considerate or respectful",
    Category.personal_information: "Posting personal information of others",
    Category.other: "Other",
}


def category_label(key: str | None) -> str:
    """The public label of a category key; unknown or missing keys count as Other."""
    try:
        return CATEGORY_LABELS[Category(key or "other")]
    except ValueError:
        return CATEGORY_LABELS[Category.other]


def category_key(key: str | None) -> str:
    """The catalogue key of a stored category, or "other" when it is not in the catalogue."""
    return key if key is not None and key in Category.__members__ else Category.other.value
