"""Requests per API key per minute, counted in the `limits` storage every web process shares.

Every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the
window starts again); a request past the limit is answered 429 with `Retry-After`. While the shared storage
(Redis) does not answer, each web process counts on its own (`platforms/quota.py`): the API keeps answering.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from limits import RateLimitItemPerMinute
from limits.strategies import FixedWindowRateLimiter

from dockline.platforms.quota import shared_window


@dataclass(frozen=True)
class Window:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds

    @property
    def headers(self) -> dict[str, str]:
        headers = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                   "RateLimit-Reset": str(self.reset)}
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset))
        return headers


def hit(key_id: str) -> Window:
    """Count one request by the key; settings.API_RATE_LIMIT_PER_MINUTE requests a minute are allowed."""
    item = RateLimitItemPerMinute(settings.API_RATE_LIMIT_PER_MINUTE, namespace="API_KEY")
    limiter = shared_window(settings.RATE_LIMIT_STORAGE, FixedWindowRateLimiter)
    allowed = limiter.hit(item, key_id)
    reset_at, remaining = limiter.get_window_stats(item, key_id)
    return Window(allowed, item.amount, max(0, remaining), max(0, math.ceil(reset_at - time.time())))
