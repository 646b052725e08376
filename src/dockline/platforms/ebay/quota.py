"""eBay's call limits, shared by every worker that calls eBay for the same application.

eBay counts calls per application (the App ID) and API per day: 100,000 for the Sell
Fulfillment API, 2,000,000 for the Sell Inventory API (Application Growth Check raises
them). The counts live in a `limits` storage all workers share, as BigCommerce's quota
does: `memory://` in one process, `redis://...` across machines (setting
RATE_LIMIT_STORAGE; each process on its own while Redis does not answer). A moving window keeps any 24 hours under the limit; a worker that
finds the day spent gets a RATE_LIMITED error with the wait, for the engine to schedule,
rather than sleeping for hours inside a job.
"""
from __future__ import annotations

import time

from limits import RateLimitItemPerSecond

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.platforms.quota import shared_window

DAY = 86_400
DAILY_LIMITS = {"fulfillment": 100_000, "inventory": 2_000_000}


class CallLimits:
    """`take(api)` before each call: counts it against the application's limit for that API."""

    def __init__(self, app_id: str, limits: dict[str, tuple[int, int]] | None = None, storage: str | None = None):
        """`limits`: api -> (calls, seconds); eBay's daily limits when not given."""
        self.app_id = app_id
        self.limits = limits or {api: (calls, DAY) for api, calls in DAILY_LIMITS.items()}
        self.limiter = shared_window(storage)

    def take(self, api: str) -> None:
        calls, seconds = self.limits[api]
        item = RateLimitItemPerSecond(calls, seconds, namespace="EBAY")
        if self.limiter.hit(item, self.app_id, api):
            return
        reset = self.limiter.get_window_stats(item, self.app_id, api).reset_time
        wait = max(1.0, reset - time.time())
        raise ConnectorError(
            f"Dockline has used this eBay application's {calls:,} {api.capitalize()} API calls for the period; "
            f"it goes on in {wait:.0f} s (ask eBay for more through an Application Growth Check).",
            ErrorKind.RATE_LIMITED, retry_after=wait)
