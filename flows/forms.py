"""The forms CARE members fill in the Prefect UI when a step waits for them.

Each form is built from its definition in ``models.answers`` when it is asked: it names
the member from a drop-down of those who may act and asks for their authenticator code,
because the Prefect server has one shared login and a typed name proves nothing. What a
member types is parsed back with the same definition, moved into CARE's encrypted
database and deleted from Prefect as soon as the flow reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar, cast

from prefect.input import RunInput
from pydantic import Field, create_model
from pydantic.fields import FieldInfo

from flows.waiting import ask
from models.answers import Choices, Eligible, FormAnswer, Switches

A = TypeVar("A", bound=FormAnswer)
R = TypeVar("R")


def choice(values: Sequence[str]) -> Any:
    return Literal[tuple(values)]


def _marker(info: FieldInfo) -> object | None:
    found = [m for m in info.metadata if isinstance(m, Eligible | Choices | Switches)]
    return found[0] if found else None


def _field(info: FieldInfo, shown: Callable[[Any], Any] = lambda value: value) -> Any:
    if info.default_factory is not None:
        return Field(default_factory=info.default_factory, title=info.title)
    default = shown(info.default) if isinstance(info.default, str) else info.default
    return Field(default=default, title=info.title, description=info.description)


def form_fields(definition: type[FormAnswer], eligible: Sequence[str]) -> dict[str, Any]:
    """The Prefect form's fields, in the definition's order, as ``create_model`` takes them."""
    fields: dict[str, Any] = {}
    for name, info in definition.model_fields.items():
        marker = _marker(info)
        if isinstance(marker, Switches):
            for key in marker.values():
                title = marker.title_of(key)
                fields[f"{marker.prefix}{key}"] = (bool, Field(default=False, title=title))
            continue
        if isinstance(marker, Choices):  # offered by their labels, answered by them
            labels = [marker.label(value) for value in marker.values()]
            fields[name] = (choice(labels), _field(info, marker.label))
            continue
        annotation = choice(eligible) if isinstance(marker, Eligible) else info.annotation
        fields[name] = (annotation, _field(info))
    return fields


def prefect_form(definition: type[FormAnswer], eligible: Sequence[str]) -> type[RunInput]:
    """The Prefect UI form of a definition, offering the members in ``eligible``."""
    fields = form_fields(definition, eligible)
    return cast(type[RunInput], create_model(definition.form_title, __base__=RunInput, **fields))


def ask_form(
    definition: type[A],
    eligible: Sequence[str],
    *,
    step: str,
    description: str,
    store: Callable[[A], R],
) -> R:
    """Ask with the definition's form; return what ``store`` made of the answer, once given."""
    return ask(
        prefect_form(definition, eligible),
        step=step,
        description=description,
        store=store,
        parse=definition,
    )
