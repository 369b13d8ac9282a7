"""Pydantic schemas crossing CARE's boundaries: what intake parses, what flows read."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.validation import InvalidInput, email_address, phone_e164

Channel = Literal["web", "slack", "email", "staff", "sms"]
ContactKind = Literal["email", "slack", "phone"]
MAX_NARRATIVE = 20_000
MAX_FIELD = 2_000


class AttachmentIn(BaseModel):
    filename: str | None = Field(default=None, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=128)
    content: bytes = Field(max_length=10 * 1024 * 1024)


class ReportIn(BaseModel):
    """One report, from any channel, as every adapter parses it."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    channel: Channel
    channel_message_id: str = Field(min_length=1, max_length=998)
    narrative: str = Field(min_length=1, max_length=MAX_NARRATIVE)
    when_text: str | None = Field(default=None, max_length=MAX_FIELD)
    where_text: str | None = Field(default=None, max_length=MAX_FIELD)
    involved_text: str | None = Field(default=None, max_length=MAX_FIELD)
    witnesses_text: str | None = Field(default=None, max_length=MAX_FIELD)
    anonymous: bool = False
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_contact: str | None = Field(default=None, max_length=320)
    contact_kind: ContactKind | None = None
    consent_to_contact: bool = True
    relayed_by: str | None = Field(default=None, max_length=64)
    urgent: bool = False
    thread_ref: str | None = Field(default=None, max_length=998)
    event_slug: str | None = Field(default=None, max_length=64)
    incident_code: str | None = Field(default=None, max_length=24)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _contact(self) -> Self:
        if self.anonymous:
            self.reporter_name = None
            self.reporter_contact = None
            self.contact_kind = None
            self.consent_to_contact = False
            return self
        if self.reporter_contact and not self.contact_kind:
            raise ValueError("contact_kind is required with reporter_contact")
        try:
            if self.reporter_contact and self.contact_kind == "email":
                self.reporter_contact = email_address(self.reporter_contact)
            if self.reporter_contact and self.contact_kind == "phone":
                self.reporter_contact = phone_e164(self.reporter_contact)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from exc
        return self

    @property
    def reachable(self) -> bool:
        return bool(self.reporter_contact and self.consent_to_contact and not self.anonymous)
