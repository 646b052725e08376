"""The per-store quota is shared by every worker: no 429 is ever answered, and most of it is used."""
from __future__ import annotations

import threading
import time

from dockline.platforms.bigcommerce.quota import SharedQuota, usable
from dockline.sandbox.bigcommerce import BigCommerceSandbox
from dockline.sandbox.bigcommerce.store import ORDER_STATUSES


def test_workers_share_the_quota_without_a_429_using_most_of_it(connector_for):
    quota, workers = 30, 4
    with BigCommerceSandbox(quota=quota, window_seconds=1.0) as sb:
        sb.store.add_product(sku="SKU", price="1.00")
        for _ in range(60):
            sb.store.place_order(items=[("SKU", 1)])
        connectors = [connector_for(sb) for _ in range(workers)]
        orders = list(connectors[0].fetch_orders(None))
        assert len(orders) == 60

        def work(n: int) -> None:  # each worker marks its share forwarded: a GET and a PUT per order
            for order in orders[n::workers]:
                connectors[n].mark_forwarded(order)

        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started

        assert sb.stats.rate_limited == 0
        assert {o["status"] for o in sb.store.orders.values()} == {ORDER_STATUSES[9][0]}
        windows = sb.app.limiter.windows()
        full = windows[:-1]  # the last window is still open
        assert max(windows) <= quota
        assert len(full) >= 3 and sum(full) / (len(full) * quota) >= 0.8, windows
        assert 121 / elapsed >= 0.8 * quota  # and the work went at (nearly) the quota's pace


def test_quota_follows_the_store_headers_and_keeps_a_margin():
    quota = SharedQuota("test-key-headers")
    assert quota.item().amount == usable(150) == 147 and quota.item().get_expiry() == 30
    quota.learn(450, 30_000)
    assert quota.item().amount == 441
    quota.learn(40, 1_500)  # windows are whole seconds, rounded up: never faster than the store allows
    assert quota.item().amount == 37 and quota.item().get_expiry() == 2  # 40 - 0.1 s worth of 40 per 1.5 s
