"""Authenticator codes for seeded members, each accepted once: hand out fresh ones."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyotp

from models.totp import INTERVAL


class Codes:
    """A member's next unused code (one step of drift either way is accepted)."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets
        self.used: dict[str, int] = {}

    def __call__(self, handle: str) -> str:
        while True:
            now = int(time.time() // INTERVAL)
            step = max(now, self.used.get(handle, -1) + 1)
            if step <= now + 1:
                self.used[handle] = step
                return pyotp.TOTP(self.secrets[handle]).generate_otp(step)
            time.sleep(0.5)

    def later(self, handle: str) -> Callable[[], str]:
        """A code made only when the form is submitted (a form may take a while to appear)."""
        return lambda: self(handle)
