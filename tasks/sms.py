"""Send a message by sms (placeholder: the channel's sender is being written)."""

from __future__ import annotations

from tasks.deliver import DeliveryError, MessageOut


def send(message: MessageOut) -> str:
    raise DeliveryError("the sms sender is not written yet", permanent=True)
