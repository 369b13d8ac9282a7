"""Send a message by mail (placeholder: the channel's sender is being written)."""

from __future__ import annotations

from tasks.deliver import DeliveryError, MessageOut


def send(message: MessageOut) -> str:
    raise DeliveryError("the mail sender is not written yet", permanent=True)
