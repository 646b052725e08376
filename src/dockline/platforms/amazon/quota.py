"""SP-API usage plans, kept within by every worker that talks to the same seller.

Amazon limits each operation separately, per selling partner and application, with a
token bucket: `rate` requests per second refill a bucket of `burst` (the tables in each
operation's model). Dockline keeps within it with a `limits` moving window of `burst - margin`
requests per `burst / rate` seconds: any span of T seconds then holds at most
`burst + rate * T` requests, what the bucket allows. The margin absorbs the time between
taking a slot and Amazon counting the request (network, a busy worker): `rate * SLOT_TO_COUNT / 2`
requests, at least one, cover up to SLOT_TO_COUNT seconds of it. At the default plans (5 per second
at most) that is one request; a plan of 15 per second (a test's) takes three, where one covered only
133 ms, which a loaded machine exceeded.

The window lives in the storage all workers share: `memory://` within one process (the
default), `redis://...` across processes and machines (setting RATE_LIMIT_STORAGE, env
DOCKLINE_RATE_LIMIT_STORAGE; while Redis does not answer, each process counts on its
own: `dockline.platforms.quota`). Amazon may grant a seller more: the `x-amzn-RateLimit-Limit`
header of each answer states the rate applied, and the plan follows it (`learn`).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItemPerSecond

from dockline.platforms.quota import shared_window


@dataclass(frozen=True)
class Plan:
    rate: float  # requests per second
    burst: int


# The default usage plans, as each operation's model documents them (a test compares).
PLANS: dict[str, Plan] = {
    "getMarketplaceParticipations": Plan(0.016, 15),  # Sellers API v1 (documentation)
    "searchOrders": Plan(0.0056, 20),
    "getOrder": Plan(0.5, 30),
    "confirmShipment": Plan(2, 10),
    "createRestrictedDataToken": Plan(1, 10),
    "getListingsItem": Plan(5, 10),
    "patchListingsItem": Plan(5, 5),
    "createFeedDocument": Plan(0.5, 15),
    "createFeed": Plan(0.0083, 15),
    "getFeed": Plan(2, 15),
    "getFeedDocument": Plan(0.0222, 10),
}

_learned: dict[str, float] = {}  # key -> rate Amazon announced
SLOT_TO_COUNT = 0.4  # seconds between taking a slot and Amazon counting the request that the margin absorbs


def window(plan: Plan, rate: float | None = None) -> RateLimitItemPerSecond:
    """The moving window that keeps within `plan` (at `rate` when Amazon announced another)."""
    rate = rate or plan.rate
    usable = max(1, plan.burst - max(1, math.ceil(rate * SLOT_TO_COUNT / 2)))
    return RateLimitItemPerSecond(usable, max(1, math.ceil(plan.burst / rate)), namespace="AMAZON")


class UsagePlans:
    """Slots for one seller's requests, per operation: `take(operation)` blocks until there is room."""

    def __init__(self, seller: str, storage: str | None = None, *, sleep: Callable[[float], None] = time.sleep):
        self.seller = seller
        self.limiter = shared_window(storage)
        self._sleep = sleep

    def _key(self, operation: str) -> str:
        return f"{self.seller}/{operation}"

    def item(self, operation: str) -> RateLimitItemPerSecond:
        return window(PLANS[operation], _learned.get(self._key(operation)))

    def learn(self, operation: str, header: str | None) -> None:
        """Adopt the rate of an answer's `x-amzn-RateLimit-Limit` header (requests per second)."""
        try:
            rate = float(header or "")
        except ValueError:
            return
        if rate > 0 and math.isfinite(rate):
            _learned[self._key(operation)] = rate

    def rate(self, operation: str) -> float:
        return _learned.get(self._key(operation)) or PLANS[operation].rate

    def take(self, operation: str) -> float:
        """Wait for a slot of `operation` and take it; returns the seconds waited."""
        key, waited = self._key(operation), 0.0
        while True:
            item = self.item(operation)
            if self.limiter.hit(item, key):
                return waited
            reset = self.limiter.get_window_stats(item, key).reset_time
            delay = min(max(0.01, reset - time.time()), float(item.get_expiry()))
            self._sleep(delay)
            waited += delay
