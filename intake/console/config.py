"""The console's settings and shared state, one per app (tests make their own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from models.db import utcnow


def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(MemoryStorage())


@dataclass
class ConsoleConfig:
    """How long sessions last, how many codes may be tried, and the clock."""

    clock: Callable[[], datetime] = utcnow
    idle: timedelta = timedelta(hours=2)
    lifetime: timedelta = timedelta(hours=12)
    per_handle: RateLimitItem = field(default_factory=lambda: parse("5/5 minutes"))
    per_client: RateLimitItem = field(default_factory=lambda: parse("20/5 minutes"))
    limiter: MovingWindowRateLimiter = field(default_factory=_limiter)

    def allow(self, *, handle: str, client: str) -> bool:
        """Count one attempt to use a code; False once either limit is reached."""
        by_handle = self.limiter.hit(self.per_handle, "handle", handle.strip().lower()[:64])
        by_client = self.limiter.hit(self.per_client, "client", client)
        return by_handle and by_client


def console_config(request: Request) -> ConsoleConfig:
    """This app's console configuration (created on first use)."""
    config = getattr(request.app.state, "console", None)
    if config is None:
        config = request.app.state.console = ConsoleConfig()
    return config
