"""How fast the orders list renders with a million orders: first page, a deep page, searches, filters, CSV.

    .venv/bin/python bench/orders_list.py --orders 1000000
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/dockline_bench .venv/bin/python bench/orders_list.py

Fills a fresh database (SQLite in DOCKLINE_HOME, /dev/shm when it exists, unless DATABASE_URL names
another) with one organization, two connections and `--orders` orders over the last 365 days: one
line each, a customer name and email, a ship-to address, and a shipment with a tracking number for
every fifth order. Rows go in with `bulk_create` in batches of `--batch`. `--keep` reuses a database
that already holds them (give the same DOCKLINE_HOME).

Then the pages are rendered through Django's test client by a signed-in user, `--repeat` times each,
and the median wall time and the database queries of one render are printed. The deep page is
reached by its cursor, as the Older link gives it, about halfway down the list. Last, every order
is exported as CSV once (`--no-full-export` skips it).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-orders-",
                                                        dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection as db  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from dockline.accounts.models import Membership, Merchant, Organization, Role  # noqa: E402
from dockline.connections.models import Connection, Store  # noqa: E402
from dockline.orders.models import Order, OrderLine  # noqa: E402
from dockline.orders.status import OrderStatus as S  # noqa: E402
from dockline.shipments.models import Package, Shipment  # noqa: E402
from dockline.warehouses.models import Warehouse  # noqa: E402
from dockline.web.order_list import Cursor  # noqa: E402

FIRST = ["Ann", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kemal", "Lena"]
LAST = ["Lee", "Moreau", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda", "Vogel"]
# A status mix like a year of a busy 3PL: most orders closed long ago, a few hundred in each open state.
MIX = [(S.CLOSED, 900), (S.OPEN, 30), (S.SHIPPED, 20), (S.QUEUED, 15), (S.ERROR, 15), (S.NEW, 10),
       (S.FAILED, 5), (S.CANCELED, 5)]
STATUSES = [s for s, n in MIX for _ in range(n)]


def world():
    org = Organization.objects.create(name="Bench Fulfillment")
    conns = []
    for name in ("Acme", "Birch"):
        merchant = Merchant.objects.create(organization=org, name=name)
        store = Store.objects.create(organization=org, merchant=merchant, name=f"{name} store", platform="bigcommerce",
                                     credentials={"store_hash": "x", "access_token": "t"})
        warehouse = Warehouse.objects.create(organization=org, name=f"{name} 3PL", credentials={"host": "127.0.0.1"})
        conns.append(Connection.objects.create(organization=org, name=f"{name} connection", merchant=merchant,
                                               store=store, warehouse=warehouse))
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    return conns


def fill(conns, total: int, batch: int) -> None:
    now = datetime.now(UTC)
    span = 365 * 24 * 3600
    started = time.perf_counter()
    for first in range(1, total + 1, batch):
        orders, lines, shipments, packages = [], [], [], []
        for i in range(first, min(first + batch, total + 1)):
            conn = conns[i % 2]
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}"
            placed = now - timedelta(seconds=span * (total - i) / total)
            orders.append(Order(
                id=i, connection_id=conn.pk, store_id=conn.store_id, external_id=str(i), number=str(100000 + i),
                status=STATUSES[i % len(STATUSES)], placed_at=placed, store_modified_at=placed,
                customer_name=name, customer_email=f"buyer{i % 50000}@example.com",
                destinations=[{"ref": "1", "shipping_method": "Ground", "address": {
                    "name": name, "street1": f"{i % 900 + 1} Main St", "street2": "", "city": "Springfield",
                    "state": "IL", "postal_code": "62701", "country": "US", "phone": "555-0100"}}],
            ))
            lines.append(OrderLine(id=i, order_id=i, line_id="1", sku=f"SKU-{i % 500:03d}", name="Item", quantity=1))
            if i % 5 == 0:
                shipments.append(Shipment(id=i, order_id=i, warehouse_id=conn.warehouse_id,
                                          warehouse_shipment_id=f"S{i}", shipped_at=placed))
                packages.append(Package(id=i, shipment_id=i, tracking_number=f"1Z{i:012d}"))
        Order.objects.bulk_create(orders)
        OrderLine.objects.bulk_create(lines)
        Shipment.objects.bulk_create(shipments)
        Package.objects.bulk_create(packages)
        done = min(first + batch - 1, total)
        if done % (batch * 50) == 0 or done == total:
            rate = done / (time.perf_counter() - started)
            print(f"  {done:>9,} orders stored ({rate:,.0f} orders/s)", flush=True)


def median_render(client: Client, url: str, repeat: int) -> tuple[float, int, int]:
    """(median ms, queries of one render, bytes)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(db) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    return statistics.median(times), len(queries), len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse the orders already in the database")
    parser.add_argument("--no-full-export", dest="full_export", action="store_false",
                        help="skip exporting every order as CSV at the end")
    args = parser.parse_args()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine} {settings.DATABASES['default']['NAME']}")
    call_command("migrate", verbosity=0)
    if not (args.keep and Order.objects.exists()):
        t = time.perf_counter()
        conns = world()
        fill(conns, args.orders, args.batch)
        print(f"filled {args.orders:,} orders in {time.perf_counter() - t:.0f} s")
    conns = list(Connection.objects.order_by("id"))
    total = Order.objects.count()
    middle = Order.objects.order_by("-placed_at", "-id").only("placed_at")[total // 2]  # the bench's only OFFSET
    last = Order.objects.order_by("-id").first()
    client = Client(SERVER_NAME="localhost")
    client.force_login(get_user_model().objects.get(username="bench"))
    pages = [
        ("first page", "/orders/"),
        (f"deep page (order {total // 2:,} of {total:,}, by cursor)", f"/orders/?after={Cursor.of(middle)}"),
        ("previous page from there", f"/orders/?before={Cursor.of(middle)}"),
        ("search: order number", f"/orders/?q=%23{last.number}"),
        ("search: customer email", f"/orders/?q={last.customer_email}"),
        ("search: customer name start", "/orders/?q=grace+pat"),
        ("search: SKU", "/orders/?q=sku-042"),
        ("search: tracking number", f"/orders/?q=1Z{(total // 5 * 5):012d}"),
        ("filter: status Error", "/orders/?status=error"),
        ("filter: status Error, one store", f"/orders/?status=error&store={conns[0].store_id}"),
        ("filter: placed in one week", f"/orders/?since={(datetime.now(UTC) - timedelta(days=100)).date()}"
                                       f"&until={(datetime.now(UTC) - timedelta(days=94)).date()}"),
        ("live refresh fragment (first page)", "/orders/?_live=1"),
        ("home page", "/"),
        ("CSV export: status Error (all rows)", "/orders/export.csv?status=error"),
    ]
    print(f"\n{total:,} orders; median of {args.repeat} renders, and the queries of one\n")
    print(f"{'page':<52} {'median ms':>10} {'queries':>8} {'KB':>8}")
    for label, url in pages:
        headers = {"HTTP_HX_REQUEST": "true"} if "_live" in url else {}
        if headers:
            client.defaults.update(headers)
        ms, n, size = median_render(client, url.replace("?_live=1", ""), args.repeat)
        for key in headers:
            client.defaults.pop(key)
        print(f"{label:<52} {ms:>10.1f} {n:>8} {size / 1024:>8.0f}", flush=True)
    if args.full_export:
        full_export(client, total)


def full_export(client: Client, total: int) -> None:
    """Every order as CSV, once: time to the first bytes, the total, and how much memory the process grew."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    response = client.get("/orders/export.csv")
    chunks = iter(response.streaming_content)
    size = len(next(chunks))
    first = time.perf_counter() - t
    rows = 0
    for chunk in chunks:
        size += len(chunk)
        rows += 1
    took = time.perf_counter() - t
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    print(f"\nCSV export of all {total:,} orders: {rows:,} rows, {size / 2**20:.0f} MiB; first bytes after "
          f"{first * 1000:.0f} ms, all in {took:.1f} s ({rows / took:,.0f} rows/s); peak memory grew {grew:.0f} MiB")


if __name__ == "__main__":
    main()
