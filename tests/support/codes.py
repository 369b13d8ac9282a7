"""Authenticator codes for seeded members, each accepted once: hand out fresh ones."""

from __future__ import annotations

import time

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
            step = max(now - 1, self.used.get(handle, -1) + 1)
            if step <= now + 1:
                self.used[handle] = step
                return pyotp.TOTP(self.secrets[handle]).generate_otp(step)
            time.sleep(0.5)
