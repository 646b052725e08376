"""What one alert check costs: wall time and database queries of `evaluate_alerts` over N connections.

    .venv/bin/python bench/alerts.py --connections 1000 --repeat 5

Builds, on a fresh SQLite database (or DATABASE_URL), one 3PL with N enabled connections, a warehouse
per 10 connections (X12, so the files condition reads 997s and lists no inbox), the three channels
each with its last 5 runs (one channel in ten failing the last 3), 12 orders per connection in New,
Queued, Error, Open (dispatched, some shipped) and Shipped, order files sent (some unacknowledged),
inventory files, store webhooks, a few connections needing re-authorization; the default policy
plus a second one narrowed to a tenth of the connections with other thresholds. Then evaluates:
once to open the alerts (not timed), then `--repeat` checks a minute apart (the steady state:
alerts found again and updated), and prints the median wall and CPU time (this process: SQLite
runs in it) and the queries per check.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-alerts-",
                                                        dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection as db  # noqa: E402
from django.utils import timezone  # noqa: E402

from dockline.accounts.models import Merchant, Organization  # noqa: E402
from dockline.alerts.models import Alert, AlertPolicy  # noqa: E402
from dockline.alerts.services import evaluate_alerts  # noqa: E402
from dockline.alerts.status import Condition  # noqa: E402
from dockline.connections.models import Channel, ChannelKind, Connection, Store  # noqa: E402
from dockline.orders.models import Dispatch, Order  # noqa: E402
from dockline.orders.status import OrderStatus as S  # noqa: E402
from dockline.shipments.models import Shipment  # noqa: E402
from dockline.sync.models import SyncRun  # noqa: E402
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse  # noqa: E402
from dockline.webhooks.models import WebhookDelivery  # noqa: E402

STATUSES = [S.NEW, S.QUEUED, S.QUEUED, S.ERROR, S.OPEN, S.OPEN, S.OPEN, S.SHIPPED, S.SHIPPED, S.SHIPPED, S.SHIPPED,
            S.SHIPPED]


def populate(n: int) -> None:
    """N connections with runs, orders, dispatches, shipments, files and webhooks, ages spread over days."""
    now = timezone.now()
    org = Organization.objects.create(name="Bench 3PL")
    merchants = Merchant.objects.bulk_create([Merchant(organization=org, name=f"m{i}") for i in range(max(1, n // 20))])
    warehouses = Warehouse.objects.bulk_create([
        Warehouse(organization=org, name=f"WMS {i}", file_format="x12", credentials={"host": "127.0.0.1"})
        for i in range(max(1, n // 10))])
    stores = Store.objects.bulk_create([
        Store(organization=org, merchant=merchants[i % len(merchants)], name=f"store {i}", platform="bigcommerce",
              credentials={"store_hash": f"h{i}", "access_token": "t"}) for i in range(n)], batch_size=2000)
    conns = Connection.objects.bulk_create([
        Connection(organization=org, name=f"c{i:05}", merchant=s.merchant, store=s, warehouse=warehouses[i % len(warehouses)],
                   enabled=True, store_auth_error="Refused (401)." if i % 50 == 7 else "") for i, s in enumerate(stores)],
        batch_size=2000)
    Connection.objects.update(created_at=now - timedelta(days=30))
    channels = Channel.objects.bulk_create([
        Channel(connection=c, kind=k, interval=timedelta(minutes=15)) for c in conns for k in ChannelKind],
        batch_size=5000)
    runs = []
    for i, channel in enumerate(channels):
        failing = i % 10 == 3
        for r in range(5):
            ok = not (failing and r >= 2)
            runs.append(SyncRun(channel=channel, started_at=now - timedelta(minutes=15 * (5 - r)), finished_at=now,
                                ok=ok, error="" if ok else "Cannot reach the warehouse: refused.",
                                side="" if ok else ("store" if channel.kind == ChannelKind.INVENTORY else "warehouse")))
    SyncRun.objects.bulk_create(runs, batch_size=5000)
    orders = Order.objects.bulk_create([
        Order(connection=c, store_id=c.store_id, external_id=f"{c.id}-{j}", number=f"{c.id}{j:03}", status=status,
              placed_at=now - timedelta(days=j), store_modified_at=now, error="Map SKU X." if status == S.ERROR else "")
        for c in conns for j, status in enumerate(STATUSES)], batch_size=2000)
    for o in orders:  # imported over the last days, the oldest first
        o.created_at = now - timedelta(hours=6 * (1 + int(o.external_id.split("-")[1])))
    Order.objects.bulk_update(orders, ["created_at"], batch_size=2000)
    warehouse_of = {c.id: c.warehouse_id for c in conns}
    sent = [o for o in orders if o.status in (S.OPEN, S.SHIPPED)]
    files = ExchangeRecord.objects.bulk_create([
        ExchangeRecord(warehouse_id=warehouse_of[o.connection_id], direction=Direction.OUT, kind=ExchangeKind.ORDERS,
                       filename=f"940_{o.id:09}.x12", checksum=f"{o.id:064}", size=100,
                       state=ExchangeState.SENT if o.id % 7 == 0 else ExchangeState.ACKNOWLEDGED) for o in sent],
        batch_size=2000)
    ExchangeRecord.objects.update(created_at=now - timedelta(hours=5))
    Dispatch.objects.bulk_create([Dispatch(order=o, warehouse_id=warehouse_of[o.connection_id],
                                           warehouse_order_number=o.number, exchange=f)
                                  for o, f in zip(sent, files, strict=True)], batch_size=2000)
    Dispatch.objects.update(created_at=now - timedelta(days=3))
    Shipment.objects.bulk_create([Shipment(order=o, warehouse_id=warehouse_of[o.connection_id],
                                           warehouse_shipment_id=f"S{o.id}", shipped_at=now)
                                  for o in sent if o.status == S.SHIPPED or o.id % 3 == 0], batch_size=2000)
    ExchangeRecord.objects.bulk_create([
        ExchangeRecord(warehouse=w, direction=Direction.IN, kind=ExchangeKind.INVENTORY, filename="stock.csv",
                       checksum=f"{w.id:064}", size=10, state=ExchangeState.PROCESSED)
        for w in warehouses[::2]])
    WebhookDelivery.objects.bulk_create([WebhookDelivery(connection=c, payload_hash=f"{c.id}", verified=True)
                                         for c in conns[::3]], batch_size=2000)
    WebhookDelivery.objects.update(received_at=now - timedelta(hours=12))
    narrow = AlertPolicy.objects.create(organization=org, name="Key accounts", conditions=list(Condition.values),
                                        thresholds={Condition.RUNS_FAILING: 2, Condition.NOT_SENT: 2},
                                        recipients="key@bench.example")
    narrow.connections.set(conns[::10])
    AlertPolicy.objects.create(organization=org, name="Everything", conditions=list(Condition.values),
                               recipients="ops@bench.example")
    if db.vendor == "postgresql":
        with db.cursor() as cur:
            cur.execute("ANALYZE")


class Counted:
    """Counts the queries run inside it (CaptureQueriesContext keeps only the last 9,000)."""

    def __enter__(self):
        self.queries = 0
        self._wrapping = db.execute_wrapper(self)
        self._wrapping.__enter__()
        return self

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self._wrapping.__exit__(*exc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # one 'Alert opened' line per alert would drown the figures
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    t = time.perf_counter()
    populate(args.connections)
    print(f"{args.connections} connections built in {time.perf_counter() - t:.1f} s ({db.vendor})")
    now = timezone.now()
    t = time.perf_counter()
    with Counted() as first:
        opened = evaluate_alerts(now)
    print(f"first check (opens {opened['opened']} alerts, mails, events): {time.perf_counter() - t:.2f} s, "
          f"{first.queries} queries")
    walls, cpus, queries = [], [], []
    for r in range(args.repeat):
        t, cpu = time.perf_counter(), time.process_time()
        with Counted() as captured:
            counts = evaluate_alerts(now + timedelta(minutes=r + 1))
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - cpu)
        queries.append(captured.queries)
    print(f"steady check ({counts['updated']} alerts found again, {Alert.objects.count()} alerts): "
          f"median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU over {args.repeat}, {statistics.median(queries):.0f} queries "
          f"per check ({statistics.median(queries) / args.connections:.2f} per connection)")


if __name__ == "__main__":
    main()
