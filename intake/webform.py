"""What the web channel accepts (JSON or the HTML form) and how it becomes a ``ReportIn``."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, field_validator

from intake.guards import Refused
from models.contact import contact_kind
from models.schemas import MAX_FIELD, MAX_NARRATIVE, ReportIn

KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,128}$"
TEXT_FIELDS = ("what_happened", "when", "where", "involved", "witnesses", "name", "contact")
FLAGS = ("anonymous", "consent_to_contact", "danger")


class WebReportIn(BaseModel):
    """A report sent to ``POST /reports``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    what_happened: str = Field(min_length=1, max_length=MAX_NARRATIVE)
    when: str | None = Field(default=None, max_length=MAX_FIELD)
    where: str | None = Field(default=None, max_length=MAX_FIELD)
    involved: str | None = Field(default=None, max_length=MAX_FIELD, description="who was involved")
    witnesses: str | None = Field(default=None, max_length=MAX_FIELD)
    name: str | None = Field(default=None, max_length=200, description="your name (optional)")
    contact: str | None = Field(
        default=None, max_length=320, description="an e-mail address or a phone number (+CC...)"
    )
    anonymous: bool = Field(default=False, description="stay anonymous: no name, no contact")
    consent_to_contact: bool = Field(default=False, description="the team may contact you")
    danger: bool = Field(default=False, description="someone is in danger right now (urgent)")
    idempotency_key: str | None = Field(
        default=None,
        pattern=KEY_PATTERN,
        description="the same key and text sent twice store one report",
    )

    @field_validator("*", mode="after")
    @classmethod
    def _encodable(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("contains characters that are not valid text") from None
            if "\x00" in value:
                raise ValueError("contains a NUL character")
        return value


class WebReportForm(WebReportIn):
    """The HTML form: the same fields as text, plus its CSRF token."""

    csrf_token: str = Field(max_length=512)


class ReportReceipt(BaseModel):
    case_code: str
    duplicate: bool = Field(description="this exact report was already received")
    acknowledgement: bool = Field(description="an acknowledgement goes to your contact")


class FieldProblem(BaseModel):
    field: str | None = Field(description="the field it is about, if one")
    message: str = Field(description="what to change, as a sentence for the reporter")


class Problem(BaseModel):
    detail: str = Field(description="what went wrong, in sentences for the reporter")
    errors: list[FieldProblem] = Field(default_factory=list, description="one per problem")


def form_fields(body: bytes) -> dict[str, str]:
    """The form's fields (each once); 400 for a body that is not UTF-8 form data."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            max_num_fields=40,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "The form data could not be read (UTF-8 form data only).") from None
    return {k: v for k, v in pairs if k in {*TEXT_FIELDS, *FLAGS, "csrf_token", "idempotency_key"}}


def from_form(fields: dict[str, str]) -> WebReportIn:
    data: dict[str, Any] = {k: fields.get(k) or None for k in TEXT_FIELDS}
    data["what_happened"] = fields.get("what_happened", "")
    data |= {k: fields.get(k, "") in ("yes", "on", "true", "1") for k in FLAGS}
    data["idempotency_key"] = fields.get("idempotency_key") or None
    return WebReportIn.model_validate(data)


def to_report(web: WebReportIn, header_key: str | None) -> ReportIn:
    """The one ``ReportIn``; the message id is the client's key (plus a hash of the text)."""
    key = header_key or web.idempotency_key
    digest = hashlib.sha256(web.what_happened.encode()).hexdigest()[:16]
    contact = None if web.anonymous else web.contact
    return ReportIn(
        channel="web",
        channel_message_id=f"{key}:{digest}" if key else f"web-{uuid.uuid4()}",
        narrative=web.what_happened,
        when_text=web.when,
        where_text=web.where,
        involved_text=web.involved,
        witnesses_text=web.witnesses,
        anonymous=web.anonymous,
        reporter_name=None if web.anonymous else web.name,
        reporter_contact=contact,
        contact_kind=contact_kind(contact) if contact else None,
        consent_to_contact=web.consent_to_contact and contact is not None,
        urgent=web.danger,
    )
