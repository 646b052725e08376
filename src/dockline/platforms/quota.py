"""The moving window under every platform's quota: in the storage all workers share, and in this process's
memory while that storage does not answer.

The platforms' quotas (BigCommerce's per store, Amazon's usage plans, eBay's call limits) count requests in
the `limits` storage RATE_LIMIT_STORAGE names (env DOCKLINE_RATE_LIMIT_STORAGE): `memory://` within one
process (the default), `redis://...` across processes and machines. A Redis restart or a network blip must
not fail a merchant's job: while the shared storage does not answer, each request is counted in this
process's own window instead (what the default `memory://` does all the time), with one warning when that
starts, and counted in the shared storage again as soon as it answers. The workers may then together send
more than the quota for a moment; the store's 429, which the clients wait out, remains the backstop.
"""
from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from limits.util import WindowStats

from dockline.platforms.memory_window import InProcessWindows

log = logging.getLogger(__name__)
# Seconds to wait for Redis to connect or answer before counting in this process (a Redis that hangs would
# otherwise hold the job); a URL's own socket_timeout / socket_connect_timeout wins.
REDIS_TIMEOUT = 1.0

_lock = threading.Lock()
_windows: dict[tuple[str, type[RateLimiter]], SharedWindow] = {}


def storage_uri() -> str:
    """RATE_LIMIT_STORAGE from the Django settings when configured, else in-process memory."""
    from django.conf import settings

    return getattr(settings, "RATE_LIMIT_STORAGE", "memory://") if settings.configured else "memory://"


def shared_window(uri: str | None = None, strategy: type[RateLimiter] = MovingWindowRateLimiter) -> SharedWindow:
    """The window on `uri` (RATE_LIMIT_STORAGE when not given), one per storage and strategy in this process
    (the API's keys count in fixed minutes: `api/ratelimit.py`)."""
    uri = uri or storage_uri()
    with _lock:
        if (uri, strategy) not in _windows:
            _windows[uri, strategy] = SharedWindow(uri, strategy)
        return _windows[uri, strategy]


class SharedWindow:
    """`hit` and `get_window_stats` of a `limits` moving window, counted in this process while the shared
    storage fails."""

    def __init__(self, uri: str, strategy: type[RateLimiter] = MovingWindowRateLimiter) -> None:
        options = {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT} \
            if uri.startswith(("redis://", "rediss://")) else {}
        shared = InProcessWindows() if uri.startswith("memory://") else storage_from_string(
            uri, wrap_exceptions=True, **options)
        self.shared = strategy(shared)
        self.local = strategy(InProcessWindows())
        self.where = _without_credentials(uri)
        self.away = False  # the shared storage failed on the last request

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Take one slot of `item` if there is room; False when the window is full."""
        try:
            taken = self.shared.hit(item, *identifiers)
        except StorageError as exc:
            self._left(exc)
            return self.local.hit(item, *identifiers)
        self._back()
        return taken

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        try:
            stats = self.shared.get_window_stats(item, *identifiers)
        except StorageError as exc:
            self._left(exc)
            return self.local.get_window_stats(item, *identifiers)
        self._back()
        return stats

    def _left(self, exc: StorageError) -> None:
        with _lock:
            first, self.away = not self.away, True
        if first:
            log.warning("The shared rate-limit storage %s does not answer (%s); this process counts the platforms' "
                        "quotas and the API keys' requests on its own until it does (the stores' 429s are waited "
                        "out meanwhile).",
                        self.where, exc.storage_error)

    def _back(self) -> None:
        if self.away:
            with _lock:
                back, self.away = self.away, False
            if back:
                log.info("The shared rate-limit storage %s answers again; the quotas are shared again.", self.where)


def _without_credentials(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"
