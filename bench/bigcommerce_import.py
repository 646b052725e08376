"""Benchmark: import orders from the BigCommerce sandbox with its quota enforced.

Places N orders in a sandbox store that answers 429 past `quota` requests per
`window` seconds, then runs what Dockline does with them: the orders channel's
import (paged `GET /v2/orders` into the database), then `workers` workers
telling the store each order reached the warehouse (`GET` + `PUT
/v2/orders/{id}` per order), all sharing one per-store quota. Prints the 429s
the store answered (must be 0) and how much of the quota was used per window
(must be >= 80%).

BigCommerce's window is 30 s: 10,000 orders make ~20,000 requests, over an hour
at 150 per 30 s. `--window 1` keeps the quota and shrinks the window (a 30x
faster clock); every figure per window is unchanged and the elapsed time maps
back by the factor printed.

    .venv/bin/python bench/bigcommerce_import.py --orders 10000 --window 1
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time

REAL_WINDOW = 30.0


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=10_000)
    p.add_argument("--quota", type=int, default=150, help="requests per window (BigCommerce: 150)")
    p.add_argument("--window", type=float, default=REAL_WINDOW, help="window seconds (real: 30; scaled: e.g. 1)")
    p.add_argument("--workers", type=int, default=4, help="workers sharing the quota")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return p.parse_args(argv)


def setup_django() -> None:
    # the database on tmpfs where there is one: this measures the API traffic, not the disk's fsync
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None
    os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-", dir=scratch))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")
    os.environ.setdefault("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "1")  # the sandbox store listens on loopback
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def make_connection(sandbox):
    from dockline.accounts.models import Merchant, Organization
    from dockline.connections.models import Connection, Store
    from dockline.warehouses.models import Warehouse

    org = Organization.objects.create(name="Bench")
    merchant = Merchant.objects.create(organization=org, name="Bench merchant")
    store = Store.objects.create(organization=org, merchant=merchant, name="Bench store", platform="bigcommerce",
                                 credentials=sandbox.credentials, settings={"api_base": sandbox.base_url})
    warehouse = Warehouse.objects.create(organization=org, name="Bench 3PL", credentials={"host": "127.0.0.1"})
    return Connection.objects.create(organization=org, name="Bench", merchant=merchant, store=store,
                                     warehouse=warehouse)


def run(args: argparse.Namespace) -> dict:
    from dockline.orders.imports import import_orders
    from dockline.orders.models import Order
    from dockline.sandbox.bigcommerce import BigCommerceSandbox

    with BigCommerceSandbox(store_hash="bench", quota=args.quota, window_seconds=args.window) as sb:
        sb.store.add_product(sku="BENCH-1", price="9.99", inventory_level=10**9)
        sb.store.add_product(sku="BENCH-2", price="4.50", inventory_level=10**9)
        for n in range(args.orders):
            sb.store.place_order(items=[("BENCH-1", 1 + n % 3), ("BENCH-2", 1)][: 1 + n % 2])
        connection = make_connection(sb)

        started = time.monotonic()
        connector = connection.store.connector()
        counts = import_orders(connection, connector)
        connector.close()
        imported_at = time.monotonic()
        import_requests = sb.stats.requests
        ids = list(Order.objects.filter(connection=connection).values_list("external_id", flat=True))

        errors: list[str] = []

        def forward(share: list[str]) -> None:
            worker = connection.store.connector()
            try:
                for external_id in share:
                    worker.mark_forwarded(external_id)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports every failure, whatever it is
                errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                worker.close()

        threads = [threading.Thread(target=forward, args=(ids[n::args.workers],)) for n in range(args.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        finished = time.monotonic()

        windows = sb.app.limiter.windows()
        full = windows[:-1] or windows
        elapsed = finished - started
        requests = sb.stats.requests
        forwarded = sum(1 for o in sb.store.orders.values() if o["status_id"] == 9)
        scale = REAL_WINDOW / args.window
        return {
            "orders_placed": args.orders,
            "orders_imported": counts["new"],
            "orders_forwarded": forwarded,
            "workers": args.workers,
            "quota": args.quota,
            "window_s": args.window,
            "requests": requests,
            "answered_429": sb.stats.rate_limited,
            "errors": errors,
            "windows": len(windows),
            "mean_used_per_full_window": round(sum(full) / len(full), 1),
            "max_used_in_a_window": max(windows),
            "quota_use_per_window": round(sum(full) / (len(full) * args.quota), 3),
            "quota_use_while_forwarding": round(
                (requests - import_requests) / (finished - imported_at) / (args.quota / args.window), 3),
            "quota_use_over_run": round(requests / elapsed / (args.quota / args.window), 3),
            "import_s": round(imported_at - started, 1),
            "elapsed_s": round(elapsed, 1),
            "scale": scale,
            # the store traffic slows by the scale; the import's database time does not
            "elapsed_at_real_window_min": round(((finished - imported_at) * scale + imported_at - started) / 60, 1),
        }


def report(f: dict) -> str:
    lines = [
        f"orders: {f['orders_placed']} placed, {f['orders_imported']} imported, {f['orders_forwarded']} "
        f"marked forwarded by {f['workers']} workers sharing one quota",
        f"quota: {f['quota']} requests per {f['window_s']:g} s"
        + (f" (scaled: real window {REAL_WINDOW:g} s, clock x{f['scale']:g})" if f["scale"] != 1 else ""),
        f"requests answered: {f['requests']} in {f['elapsed_s']} s (import {f['import_s']} s)",
        f"429s answered to Dockline: {f['answered_429']}",
        f"windows: {f['windows']}, mean {f['mean_used_per_full_window']} / max {f['max_used_in_a_window']} "
        f"requests per full window",
        f"quota used per window: {f['quota_use_per_window']:.1%}; while forwarding: "
        f"{f['quota_use_while_forwarding']:.1%}; over the whole run, database time included: "
        f"{f['quota_use_over_run']:.1%}",
    ]
    if f["scale"] != 1:
        lines.append(f"at the real {REAL_WINDOW:g} s window the same run takes ~{f['elapsed_at_real_window_min']} min "
                     f"(store traffic x{f['scale']:g}); requests, 429s and use per window are the same")
    if f["errors"]:
        lines.append(f"ERRORS: {f['errors'][:3]}")
    ok = f["answered_429"] == 0 and f["quota_use_per_window"] >= 0.8 and not f["errors"] \
        and f["orders_forwarded"] == f["orders_placed"]
    lines.append("PASS: no 429, >= 80% of the quota used" if ok else "FAIL")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    setup_django()
    figures = run(args)
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0 if figures["answered_429"] == 0 and figures["quota_use_per_window"] >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
