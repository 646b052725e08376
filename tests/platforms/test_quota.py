"""The platforms' quotas keep jobs going when the shared Redis does not answer, and share again once it does."""
from __future__ import annotations

import logging

import pytest
import redis

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.platforms.amazon.quota import UsagePlans
from dockline.platforms.bigcommerce.quota import SharedQuota
from dockline.platforms.ebay.quota import CallLimits
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
