"""The per-store API quota, shared by every worker that talks to the store.

BigCommerce counts requests per store (e.g. 150 per 30 s) whoever sends them,
so the count lives in a `limits` storage all workers share: `memory://` within
one process (the default), `redis://...` across processes and machines
(setting RATE_LIMIT_STORAGE / env DOCKLINE_RATE_LIMIT_STORAGE; while Redis does
not answer, each process counts on its own: `dockline.platforms.quota`). A moving
window keeps every span of one window length under the quota, so however the
store's own window is aligned it never sees more than the quota. A small
margin absorbs the time between taking a slot and the request's arrival
(`usable`).

The quota and window come from the store's answers (`X-Rate-Limit-Requests-Quota`,
`X-Rate-Limit-Time-Window-Ms`). Until a process has heard them, its requests to
that store go one at a time (counted against the smallest plan's 150 per 30 s),
so workers starting together cannot overshoot an unknown quota.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from limits import RateLimitItemPerSecond

from dockline.platforms.quota import shared_window

DEFAULT_QUOTA = 150
DEFAULT_WINDOW_MS = 30_000
SKEW = 0.1  # seconds between taking a slot and the store counting the request (latency, scheduling)

_lock = threading.Lock()
_learned: dict[str, tuple[int, int]] = {}  # key -> (quota, window ms) the store announced
_probing: dict[str, threading.Lock] = {}  # key -> held by the request that is learning the quota


def usable(quota: int, window_ms: int = DEFAULT_WINDOW_MS) -> int:
    """Requests Dockline allows itself per window: the quota minus a margin of 2% (at least two),
    or of what the store could see arrive within SKEW of a window's edge, if more."""
    in_skew = math.ceil(quota * SKEW * 1000 / window_ms)
    return max(1, quota - max(2, math.ceil(quota * 0.02), in_skew))


class SharedQuota:
    """Take a slot before each request to one store: `take()` blocks until the shared window has room."""

    def __init__(self, key: str, storage: str | None = None, *,
                 sleep: Callable[[float], None] = time.sleep):
        self.key = key
        self.limiter = shared_window(storage)
        self._sleep = sleep

    def item(self) -> RateLimitItemPerSecond:
        quota, window_ms = _learned.get(self.key, (DEFAULT_QUOTA, DEFAULT_WINDOW_MS))
        seconds = max(1, math.ceil(window_ms / 1000))
        return RateLimitItemPerSecond(usable(quota, window_ms), seconds, namespace="BIGCOMMERCE")

    def learn(self, quota: int | None, window_ms: int | None) -> None:
        """Adopt the quota and window the store announced in its headers."""
        if quota and window_ms and quota > 0 and window_ms > 0:
            _learned[self.key] = (int(quota), int(window_ms))

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot around one request; the first requests to a store go one by one until it
        has announced its quota."""
        if self.key in _learned:
            self.take()
            yield
            return
        with _lock:
            probe = _probing.setdefault(self.key, threading.Lock())
        with probe:
            self.take()
            yield

    def take(self) -> float:
        """Wait for a slot and take it; returns the seconds waited."""
        waited = 0.0
        while True:
            item = self.item()
            if self.limiter.hit(item, self.key):
                return waited
            reset = self.limiter.get_window_stats(item, self.key).reset_time
            delay = min(max(0.01, reset - time.time()), float(item.get_expiry()))
            self._sleep(delay)
            waited += delay
