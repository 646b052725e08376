"""eBay's bad moments, switched on in the sandbox: latency, 5xx, dropped connections and 429s are
ridden out by the shared policy; the call limits are kept by every worker together."""
from __future__ import annotations

import re
import threading
import time

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import StockUpdate
from dockline.platforms.ebay import EbayConnector
from dockline.platforms.ebay.client import FULFILLMENT
from dockline.sandbox.ebay import EbaySandbox


def test_server_errors_and_a_dropped_connection_on_a_read_are_retried_with_backoff(sandbox, connector, recorder,
                                                                                  contracts):
    sandbox.store.add_item("MUG", "Camp Mug")
    order_id = sandbox.store.place_order([("MUG", 1)])
    rec = recorder(connector)
    sandbox.faults.fail_next(500, times=2, method="GET", path="/order")
    sandbox.faults.drop_next(method="GET", path="/order")
    assert [o.external_id for o in connector.fetch_orders(None)] == [order_id]
    assert connector.slept == [0.5, 1.0, 2.0]
    statuses = [r.status_code for _, r in rec.pairs]
    assert statuses == [500, 500, 200]  # the dropped one has no answer
    for request, response in rec.pairs:  # eBay's error bodies too
        contracts.validate(request, response)


def test_a_429_is_waited_out_then_the_call_succeeds(sandbox, connector):
    sandbox.faults.fail_next(429, method="GET")
    assert connector.client.get(FULFILLMENT + "/order", {"limit": "1"})["total"] == 0
    assert connector.slept == [pytest.approx(1.05)]  # Retry-After 1 s and the policy's margin


def test_429s_that_go_on_are_handed_to_the_engine_with_the_wait(sandbox, connector):
    sandbox.faults.fail_next(429, times=10, method="GET")
    with pytest.raises(ConnectorError) as raised:
        connector.client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert raised.value.kind is ErrorKind.RATE_LIMITED and raised.value.retry_after == 1.0
    assert "call limit" in raised.value.message and len(connector.slept) == 3


def test_latency_is_switchable(sandbox, connector):
    connector.client.get(FULFILLMENT + "/order", {"limit": "1"})
    sandbox.faults.latency = 0.3
    started = time.monotonic()
    connector.client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert time.monotonic() - started >= 0.3


def test_workers_sharing_an_application_keep_its_call_limit_together():
    # eBay refuses beyond 6 inventory calls a second; Dockline allows itself 5 across both workers.
    with EbaySandbox(call_limits={"inventory": (6, 1.0)}) as sb:
        sb.store.add_item("MUG", "Camp Mug")
        limits = {"fulfillment": (5, 1), "inventory": (5, 1)}
        workers = [EbayConnector(sb.credentials, sb.settings, call_limits=limits) for _ in range(2)]
        failures = []

        def push(conn):
            try:
                for n in range(7):
                    conn.push_stock([StockUpdate("MUG", n)])
            except ConnectorError as exc:  # pragma: no cover - would fail the test below
                failures.append(exc)

        started = time.monotonic()
        threads = [threading.Thread(target=push, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        elapsed = time.monotonic() - started
        for w in workers:
            w.close()
        calls = [s for m, p, _, s in sb.store.log if re.search("bulk_update", p)]
    assert failures == [] and len(calls) == 14 and 429 not in calls
    assert elapsed >= 2.0  # 14 calls at 5 a second
