"""What every sender shares: the message as it goes out, and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class DeliveryError(RuntimeError):
    """A message could not be delivered; ``permanent`` means retrying will not help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class MessageOut:
    id: int
    channel: str
    purpose: str
    recipient: str
    subject: str | None
    body: str
    meta: dict[str, Any]
    idempotency_key: str
