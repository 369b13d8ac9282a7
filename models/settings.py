"""CARE's settings: one class, from the environment and `.env`.

The embedded default (``CARE_ENV=embedded``) runs on one machine with SQLite files in the
data directory, keeps a generated encryption key there (mode 0600) and writes SMS and Slack
messages to the outbox. Anywhere else a real, non-placeholder encryption key is required.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "placeholder", "xxx", "todo"}
KEY_FILE_NAME = "encryption.key"


class SettingsError(ValueError):
    """Settings that CARE refuses to start with."""


class PrefectLink(BaseSettings):
    """How a CARE process reaches Prefect's API: read alone, so that a command which needs
    nothing else (``care key generate``, ``care prefect ...``) works before the rest of
    the settings are complete."""

    model_config = SettingsConfigDict(
        env_prefix="CARE_", env_file=".env", extra="ignore", env_file_encoding="utf-8"
    )

    # the Prefect API CARE's processes talk to (`make run` starts it on this port)
    prefect_api_url: str = "http://127.0.0.1:4200/api"
    # the server's PREFECT_SERVER_API_AUTH_STRING ("user:password"), if it is protected
    prefect_api_auth_string: SecretStr | None = None


class Settings(PrefectLink):
    env: Literal["embedded", "production"] = "embedded"
    data_dir: Path = Path(".care")
    database_url: str | None = None
    # on PostgreSQL, the connections one CARE process may hold: this many kept open, and
    # up to the overflow more while busy (docs/orchestration.md, "Connection budget")
    database_pool_size: int = Field(default=5, ge=1)
    database_max_overflow: int = Field(default=15, ge=0)

    # Fernet keys (url-safe base64, 32 bytes). The first encrypts; earlier keys only decrypt,
    # during `care key rotate`.
    encryption_key: SecretStr | None = None
    previous_encryption_keys: SecretStr | None = None

    public_url: str = "http://127.0.0.1:8000"
    prefect_ui_url: str = "http://127.0.0.1:4200"
    intake_host: str = "127.0.0.1"
    intake_port: int = 8000
    # per client address, in the `limits` notation ("20/minute"); and the largest request body
    intake_rate_limit: str = "20/minute"
    intake_max_body_bytes: int = 256 * 1024
    # the proxies whose X-Forwarded-For / X-Forwarded-Proto the intake believes, so that
    # the rate limits (reports, console sign-in) see the client's address, not the proxy's:
    # addresses or networks, comma-separated ("10.0.0.5,192.168.0.0/24"; "*" trusts
    # anyone who can reach the port). Default: a proxy on this machine
    trusted_proxies: str = "127.0.0.1,::1"

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_api_base: str | None = Field(
        default=None, description="Only for tests: a fake Twilio API base URL"
    )
    # one Twilio request's timeout, and how often a 429 / 5xx / timeout is tried in all
    twilio_timeout_s: float = 5.0
    sms_attempts: int = 4
    sms_backoff_s: float = 0.25
    # how often a waiting escalation checks the record for an acknowledgement (seconds); its
    # deadlines it keeps exactly either way (it sleeps until them), and so does the time-keeper
    escalation_poll_s: float = 1.0

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_team_channel: str | None = None
    slack_api_base: str | None = Field(
        default=None, description="Only for tests: a fake Slack Web API base URL"
    )

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "conduct@example.org"

    imap_host: str | None = None
    imap_port: int = 993
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_ssl: bool = True

    # who carries out a resolution: executor -> "email:av@example.org" or "slack:C0AVTEAM"
    # (JSON in CARE_EXECUTOR_CONTACTS); an executor without one is told via the team channel
    executor_contacts: dict[str, str] = Field(default_factory=dict)
    publish_dir: Path | None = None

    # how long a flow waits between checks of a paused step (seconds)
    pause_poll_interval_s: float = 0.5
    retention_days: int = 180
    # start transparency reports, purges and approved erasures on their own (every 15 min)
    after_conference_sweep: bool = True
    # post the audit trail's head to the team channel every 6 hours (flows.audit)
    audit_checkpoint_posts: bool = True
    # the transparency report shows counts below this as "fewer than k"
    report_min_count: int = Field(default=3, ge=1)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an address or a network (e.g. 10.0.0.5, 10.0.0.0/24)"
                ) from None
        return ",".join(entries)

    @model_validator(mode="after")
    def _refuse_placeholder_keys(self) -> Settings:
        if self.env != "embedded":
            key = self.encryption_key.get_secret_value() if self.encryption_key else ""
            if key.strip().lower() in PLACEHOLDERS:
                raise SettingsError(
                    "CARE_ENCRYPTION_KEY is missing or a placeholder; outside the embedded "
                    "default set a real key (generate one with `care key generate`)"
                )
            _check_key(key, "CARE_ENCRYPTION_KEY")
        return self

    @property
    def embedded(self) -> bool:
        return self.env == "embedded"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'care.db').resolve()}"

    @property
    def published(self) -> Path:
        """Where approved public statements and transparency reports are written."""
        return self.publish_dir or self.data_dir / "published"

    @property
    def key_file(self) -> Path:
        return self.data_dir / KEY_FILE_NAME

    def keys(self) -> list[str]:
        """Return the encryption keys, the current one first."""
        if self.encryption_key is not None:
            keys = [self.encryption_key.get_secret_value()]
        elif self.embedded:
            keys = load_or_create_key_file(self.key_file)
        else:  # pragma: no cover - the validator refuses this
            raise SettingsError("CARE_ENCRYPTION_KEY is missing")
        if self.previous_encryption_keys is not None:
            keys += [
                k.strip()
                for k in self.previous_encryption_keys.get_secret_value().split(",")
                if k.strip()
            ]
        for key in keys:
            _check_key(key, "an encryption key")
        return keys

    def fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(k.encode()) for k in self.keys()])


def _check_key(key: str, what: str) -> None:
    try:
        Fernet(key.encode())
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"{what} is not a valid key (32 url-safe base64 bytes)") from exc


def load_or_create_key_file(path: Path) -> list[str]:
    """Read the embedded default's key file, creating it (mode 0600) the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode() + "\n")
    os.chmod(path, 0o600)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def write_key_file(path: Path, keys: list[str]) -> None:
    """Replace the key file atomically, keeping mode 0600."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(keys) + "\n")
    os.replace(tmp, path)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:  # one line that names the setting, not a traceback
        raise SettingsError(_explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    first = exc.errors()[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, SettingsError):
        return str(cause)
    name = "_".join(str(part) for part in first["loc"]).upper()
    return f"CARE_{name}: {first['msg']}" if name else first["msg"]


def prefect_environment() -> dict[str, str]:
    """Prefect's own variables for CARE's Prefect settings (``CARE_PREFECT_API_*``)."""
    link = PrefectLink()
    env = {"PREFECT_API_URL": link.prefect_api_url}
    if link.prefect_api_auth_string is not None:
        env["PREFECT_API_AUTH_STRING"] = link.prefect_api_auth_string.get_secret_value()
    return env


def point_prefect_at_care() -> None:
    """Make this process's Prefect client use CARE's Prefect server, not a temporary one.

    Prefect's own variables, where set, win (the embedded default and tests set them).
    Prefect reads its settings when it is imported: if it was, and they name no API yet,
    they are read again; if they name one (a variable, or a test's settings), they stay."""
    if "prefect.context" not in sys.modules:
        for name, value in prefect_environment().items():
            os.environ.setdefault(name, value)
        return
    from prefect.context import get_settings_context, refresh_global_settings_context

    if get_settings_context().settings.api.url:
        return
    for name, value in prefect_environment().items():
        os.environ.setdefault(name, value)
    refresh_global_settings_context()


__all__ = ["InvalidToken", "Settings", "SettingsError", "get_settings"]
