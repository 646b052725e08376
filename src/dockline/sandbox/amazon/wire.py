"""What every call to the sandbox SP-API goes through: usage plans (token buckets), the role each
operation needs, switchable faults, and the record of each exchange for the tests."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

# operation -> (rate per second, burst): the usage plans of the models (Sellers API: its documentation).
PLANS = {
    "getMarketplaceParticipations": (0.016, 15), "searchOrders": (0.0056, 20), "getOrder": (0.5, 30),
    "confirmShipment": (2, 10), "createRestrictedDataToken": (1, 10), "getListingsItem": (5, 10),
    "patchListingsItem": (5, 5), "createFeedDocument": (0.5, 15), "createFeed": (0.0083, 15), "getFeed": (2, 15),
    "getFeedDocument": (0.0222, 10),
}
ROLES = {
    "searchOrders": "Inventory and Order Tracking", "getOrder": "Inventory and Order Tracking",
    "confirmShipment": "Inventory and Order Tracking",
    "createRestrictedDataToken": "Direct-to-Consumer Delivery (Restricted)",
    "getListingsItem": "Product Listing", "patchListingsItem": "Product Listing", "createFeedDocument": "Product Listing",
    "createFeed": "Product Listing", "getFeed": "Product Listing", "getFeedDocument": "Product Listing",
}


@dataclass
class Faults:
    """Switchable failures: latency for every answer, and queued ones for the next requests
    (of one operation, or of any): "throttle" (429), "fail" (a 5xx), "drop" (the connection
    closes unanswered), "lose" (carried out, then the connection closes before the answer)."""

    latency: float = 0.0
    pending: list[list] = field(default_factory=list)  # [kind, operation or None, times left, status]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, times: int = 1, operation: str | None = None, status: int = 503) -> None:
        with self.lock:
            self.pending.append([kind, operation, times, status])

    def take(self, operation: str) -> tuple[str, int] | None:
        with self.lock:
            for fault in self.pending:
                if fault[2] > 0 and fault[1] in (None, operation):
                    fault[2] -= 1
                    return fault[0], fault[3]
        return None

    def reset(self) -> None:
        with self.lock:
            self.latency = 0.0
            self.pending.clear()


class Bucket:
    """Amazon's token bucket for one operation: `burst` tokens, refilled at `rate` per second."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst, self.tokens, self.at = rate, burst, float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Exchange:
    """One request and its answer, as they crossed the wire (for the tests' model validation)."""

    operation: str
    method: str
    path: str
    query: str
    content_type: str
    body: bytes
    status: int
    answer_type: str
    answer: bytes
