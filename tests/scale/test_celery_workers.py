"""Two Celery worker processes on PostgreSQL and Redis; one is killed with SIGKILL mid-run."""
import os
import signal
import time

import pytest
from django.db import connections

from dockline.connections.models import Connection
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sandbox import demo, fleet
from dockline.sync.runners import Dispatcher

pytestmark = pytest.mark.scale

CONNECTIONS = 4
ORDERS_EACH = int(os.environ.get('SCALE_ORDERS_EACH', 500))


def _diagnose(workers) -> str:
    from django.db.models import Count

    from dockline.sync.models import SyncRun

    statuses = dict(Order.objects.values_list("status").annotate(n=Count("id")))
    runs = list(SyncRun.objects.filter(ok=False).values_list("channel__connection_id", "channel__kind", "error")[:10])
    running = list(SyncRun.objects.filter(ok=None).values_list("channel__connection_id", "channel__kind")[:10])
    return f"orders by status {statuses}; failed runs {runs}; still running {running}; " + " | ".join(
        w.stderr.read1().decode()[-1500:] for w in workers if w.poll() is not None)


def test_2000_orders_exactly_once_with_a_worker_killed_mid_run(postgres_and_broker, tmp_path, settings):
    settings.LEASE_SECONDS = 6.0
    from dockline.sync.celery import CeleryRunner, app

    app.control.purge()
    worlds = [demo.build(intervals=demo.demo_intervals(1.0), partial_rate=0.2, seed=i) for i in range(CONNECTIONS)]
    Connection.objects.update(enabled=True)  # each build switches off the connections made before it
    for world in worlds:
        for _ in range(ORDERS_EACH):
            world.place_order()
    connections.close_all()

    workers = [fleet.spawn_worker(tmp_path / f"w{i}", concurrency=2) for i in range(2)]
    dispatcher = Dispatcher(CeleryRunner(), tick=0.3)
    dispatcher.start()
    try:
        deadline = time.monotonic() + 240
        while Order.objects.filter(status=S.OPEN).count() < CONNECTIONS * ORDERS_EACH * 0.15 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert Order.objects.filter(status=S.OPEN).count() >= CONNECTIONS * ORDERS_EACH * 0.15, _diagnose(workers)
        fleet.kill(workers[0])  # SIGKILL to the main process and its job processes, as a machine dying

        total = CONNECTIONS * ORDERS_EACH
        done = demo.wait_until(
            lambda: Order.objects.filter(status=S.CLOSED).count() == total
            and all(demo.verify(w, ORDERS_EACH).ok for w in worlds),
            timeout=420, interval=2,
        )
        results = [demo.verify(w, ORDERS_EACH) for w in worlds]
        assert done, "; ".join(r.summary for r in results) + "\n" + _diagnose(workers)
        for result in results:
            assert result.ok, result.summary
            assert "0 more than once" in result.summary and "(0 twice)" in result.summary
        assert workers[1].poll() is None, "the surviving worker died"
    finally:
        dispatcher.stop()
        for w in workers:
            fleet.kill(w, signal.SIGTERM)
        for world in worlds:
            world.stop()
