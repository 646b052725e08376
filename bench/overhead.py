"""What Dockline itself costs: its wall time and CPU per order beside the floor's, and its queries per order.

    .venv/bin/python bench/overhead.py --orders 200 --latency-ms 0,50

For each added API latency (`--latency-ms`), twice with fresh sandboxes in a
process of their own (`dockline sandbox`, FTP warehouse, DSFX, one shipment
per order, inventory snapshots only after shipments): N orders placed in the store, then

- Dockline: the services the channel jobs call, one after the other in this
  process on SQLite (`dockline.sandbox.hotpath`: import, map, forward,
  shipment, post, stock, push), each timed and its database queries counted;
- the floor (`bench/floor.py`): the same API calls and file transfers made
  with httpx and ftplib, no database, no bookkeeping.

Waiting for the warehouse to ship is not timed. CPU is this process's
(`time.process_time`); the sandboxes' CPU is theirs. The store's API requests
are counted by route for both, so the floor is seen to make the same calls.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-overhead-",
                                                        dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")
os.environ.setdefault("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "1")  # the sandboxes listen on loopback

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

import floor  # noqa: E402
from dockline.sandbox import hotpath  # noqa: E402
from dockline.sandbox.demo import demo_intervals, wait_until  # noqa: E402
from dockline.sandbox.remote import RemoteSandboxes  # noqa: E402


def waits(sandboxes: RemoteSandboxes, orders: int):
    """(wait_shipped, wait_stock): until every order shipped; until a snapshot newer than the last shipment."""

    def state() -> dict:
        return sandboxes.state(fresh=True)

    def shipped() -> None:
        if not wait_until(lambda: len(state()["shipments"]) >= orders, 600, interval=0.2):
            raise SystemExit("the warehouse did not ship every order within 10 minutes")

    def stock() -> None:
        def after(s: dict) -> bool:
            return s["inventory_written_at"] > s["shipment_written_at"]

        if not wait_until(lambda: after(state()), 60, interval=0.2):
            raise SystemExit("the warehouse wrote no inventory snapshot after shipping")

    return shipped, stock


def dockline_run(orders: int, latency_ms: float) -> tuple[list[hotpath.StageCost], dict[str, int]]:
    with RemoteSandboxes.spawn(ship_delay=0.5, partial_rate=0.0, inventory_interval=3600) as sandboxes:
        world = sandboxes.world(intervals=demo_intervals(3600))
        sandboxes.place_orders(orders)
        sandboxes.set_latency(latency_ms)
        before = sandboxes.requests_by_route()
        shipped, stock = waits(sandboxes, orders)
        costs = hotpath.run(world.connection, wait_shipped=shipped, wait_stock=stock)
        return costs, _minus(sandboxes.requests_by_route(), before)


def floor_run(orders: int, latency_ms: float) -> tuple[list[hotpath.StageCost], dict[str, int]]:
    with RemoteSandboxes.spawn(ship_delay=0.5, partial_rate=0.0, inventory_interval=3600) as sandboxes:
        sandboxes.place_orders(orders)
        sandboxes.set_latency(latency_ms)
        before = sandboxes.requests_by_route()
        shipped, stock = waits(sandboxes, orders)
        costs = floor.run(sandboxes.description, wait_shipped=shipped, wait_stock=stock)
        return costs, _minus(sandboxes.requests_by_route(), before)


def _minus(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in sorted(after.items()) if v - before.get(k, 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--latency-ms", default="0,50", help="added to every store API answer, comma-separated")
    parser.add_argument("--routes", action="store_true", help="print the store API requests by route")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    n = args.orders
    print(f"{n} orders; SQLite; sandboxes in their own process (FTP, DSFX); per order = total / {n}")
    summary = []
    for latency in (float(x) for x in args.latency_ms.split(",")):
        started = time.perf_counter()
        mine, my_routes = dockline_run(n, latency)
        base, floor_routes = floor_run(n, latency)
        print(f"\n+{latency:g} ms per API answer (run took {time.perf_counter() - started:.0f} s)")
        print(f"{'stage':<9} {'Dockline ms/order':>17} {'CPU ms/order':>13} {'queries/order':>14} "
              f"{'floor ms/order':>15} {'floor CPU':>10}")
        floor_by = {c.stage: c for c in base}
        for c in mine:
            f = floor_by.get(c.stage)
            print(f"{c.stage:<9} {c.wall / n * 1000:>17.2f} {c.cpu / n * 1000:>13.2f} {c.queries / n:>14.1f} "
                  + (f"{f.wall / n * 1000:>15.2f} {f.cpu / n * 1000:>10.2f}" if f else f"{'(in shipment)':>15}"))
        wall, cpu = sum(c.wall for c in mine), sum(c.cpu for c in mine)
        fwall, fcpu = sum(c.wall for c in base), sum(c.cpu for c in base)
        queries = sum(c.queries for c in mine)
        print(f"{'total':<9} {wall / n * 1000:>17.2f} {cpu / n * 1000:>13.2f} {queries / n:>14.1f} "
              f"{fwall / n * 1000:>15.2f} {fcpu / n * 1000:>10.2f}")
        print(f"Dockline / floor: wall {wall / fwall:.2f}x, CPU {cpu / fcpu:.2f}x; "
              f"store API requests: Dockline {sum(my_routes.values())}, floor {sum(floor_routes.values())}")
        if args.routes or my_routes != floor_routes:
            for route in sorted(set(my_routes) | set(floor_routes)):
                print(f"    {route:<50} Dockline {my_routes.get(route, 0):>5}  floor {floor_routes.get(route, 0):>5}")
        summary.append((latency, wall / n * 1000, cpu / n * 1000, fwall / n * 1000, fcpu / n * 1000, wall / fwall))
    print(f"\n{'latency':>8} {'Dockline ms/order':>18} {'CPU ms/order':>13} {'floor ms/order':>15} "
          f"{'floor CPU':>10} {'wall ratio':>11}")
    for latency, w, c, fw, fc, ratio in summary:
        print(f"{latency:>6g}ms {w:>18.2f} {c:>13.2f} {fw:>15.2f} {fc:>10.2f} {ratio:>10.2f}x")


if __name__ == "__main__":
    main()
