"""Validation of what people type: phone numbers, e-mail addresses, handles, dates."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from email_validator import EmailNotValidError, validate_email

HANDLE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


class InvalidInput(ValueError):
    """One clear line about what is wrong with the input."""


def phone_e164(raw: str) -> str:
    """Return the number in E.164 (+4915112345678) or raise InvalidInput."""
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"not a phone number in international form (+CC...): {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_address(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(f"not a valid e-mail address: {raw!r} ({exc})") from exc


def handle(raw: str) -> str:
    value = raw.strip().lower()
    if not HANDLE.match(value):
        raise InvalidInput(
            f"not a valid handle: {raw!r} (2-32 characters: a-z, 0-9, '.', '_', '-')"
        )
    return value


def slug(raw: str) -> str:
    value = raw.strip().lower()
    if not SLUG.match(value):
        raise InvalidInput(f"not a valid slug: {raw!r} (lowercase letters, digits and '-')")
    return value


def iso_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InvalidInput(f"not a date in the form YYYY-MM-DD: {raw!r}") from exc


def timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone: {raw!r} (e.g. Europe/Dublin)") from exc
    return raw
