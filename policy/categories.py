"""What an incident was about, keyed to the clauses of a typical conference code of conduct.

The transparency report counts incidents by these keys; the review form offers them.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """The code of conduct clause an incident falls under."""

    harassment = "harassment"
    sexual_harassment = "sexual_harassment"
    discrimination = "discrimination"
    offensive_language_or_imagery = "offensive_language_or_imagery"
    intimidation_or_threats = "intimidation_or_threats"
    unwelcome_contact = "unwelcome_contact"
    stalking_or_photography = "stalking_or_photography"
    disruption = "disruption"
    safety = "safety"
    other = "other"


CATEGORY_LABELS: dict[Category, str] = {
    Category.harassment: "Harassment",
    Category.sexual_harassment: "Sexual harassment or unwelcome sexual attention",
    Category.discrimination: "Discrimination or exclusionary behaviour",
    Category.offensive_language_or_imagery: "Offensive language or imagery",
    Category.intimidation_or_threats: "Intimidation or threats",
    Category.unwelcome_contact: "Unwelcome physical contact",
    Category.stalking_or_photography: "Stalking, following, or photography without consent",
    Category.disruption: "Sustained disruption of talks or events",
    Category.safety: "Physical safety",
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
