"""The platforms' quotas keep jobs going when the shared Redis does not answer, and share again once it does."""
from __future__ import annotations

import logging
import threading
import time

import pytest
import redis
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.platforms.amazon.quota import UsagePlans
from dockline.platforms.bigcommerce.quota import SharedQuota
from dockline.platforms.ebay.quota import CallLimits
from dockline.platforms.memory_window import InProcessWindows
from dockline.platforms.quota import shared_window
from dockline.sandbox.instances import PrivateRedis

LOGGER = "dockline.platforms.quota"


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def test_a_request_takes_its_slot_when_the_shared_redis_is_unreachable_with_one_warning(closed_port, caplog):
    uri = f"redis://user:hunter2@127.0.0.1:{closed_port}/0"
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert SharedQuota("unreachable-store", uri, sleep=_no_sleep).take() == 0.0
        assert UsagePlans("unreachable-seller", uri, sleep=_no_sleep).take("getOrder") == 0.0
        CallLimits("unreachable-app", storage=uri).take("fulfillment")
    assert len(_warnings(caplog)) == 1
    assert f"127.0.0.1:{closed_port}" in _warnings(caplog)[0] and "hunter2" not in caplog.text


def test_the_quota_still_holds_within_the_worker_while_redis_is_unreachable(closed_port):
    limits = CallLimits("unreachable-app-2", {"fulfillment": (2, 60)}, storage=f"redis://127.0.0.1:{closed_port}/0")
    limits.take("fulfillment")
    limits.take("fulfillment")
    with pytest.raises(ConnectorError) as refused:
        limits.take("fulfillment")
    assert refused.value.kind == ErrorKind.RATE_LIMITED


def test_the_quota_is_counted_in_redis_again_once_a_stopped_redis_is_back(caplog):
    server = PrivateRedis().start()
    try:
        shared = redis.Redis.from_url(server.url)
        limits = CallLimits("restarted-app", {"fulfillment": (100, 60)}, storage=server.url)
        limits.take("fulfillment")
        assert shared.keys("*")  # counted where every worker sees it
        with caplog.at_level(logging.INFO, logger=LOGGER):
            server.stop()
            limits.take("fulfillment")
            limits.take("fulfillment")
            server.start()  # same port, empty (no persistence)
            limits.take("fulfillment")
        assert len(_warnings(caplog)) == 1
        assert [r for r in caplog.records if r.name == LOGGER and "answers again" in r.getMessage()]
        assert shared.keys("*")
    finally:
        server.stop()


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"a slot was waited for ({seconds:.2f} s) with the window empty")


def test_the_in_process_window_counts_as_limits_own_memory_storage_does_and_frees_slots_as_it_moves():
    ours, theirs = MovingWindowRateLimiter(InProcessWindows()), MovingWindowRateLimiter(MemoryStorage())
    item = RateLimitItemPerSecond(5, 1)
    taken = [ours.hit(item, "store") for _ in range(7)]
    assert taken == [theirs.hit(item, "store") for _ in range(7)] == [True] * 5 + [False] * 2
    stats = ours.get_window_stats(item, "store")
    assert stats.remaining == theirs.get_window_stats(item, "store").remaining == 0
    time.sleep(max(0.0, stats.reset_time - time.time()) + 0.05)
    assert ours.hit(item, "store")


def test_a_request_counted_in_this_process_starts_no_thread(monkeypatch):
    """limits' MemoryStorage starts a timer thread per request that comes 10 ms after the last (0.5 ms each)."""
    window = shared_window("memory://")
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self.name), real_start(self)))
    item = RateLimitItemPerSecond(140, 30)
    for n in range(5):
        time.sleep(0.012)
        assert window.hit(item, f"store-{n}")
    assert started == []
