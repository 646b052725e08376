"""Orders per second end to end with 1, 2 and 4 Celery worker processes.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/dockline_bench \
    BROKER_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/throughput.py --orders 100 --connections 4

For each worker count: an emptied database, N connections (each a sandbox
BigCommerce store and a simulated FTP warehouse, all served from this
process), `--orders` orders placed in each store, then the scheduler runs
here and `dockline worker --concurrency 1` processes do the work. Timed from
the first dispatch until every order is Closed with its tracking in the store
and the stores' stock equals the warehouses'.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from dockline.connections.models import Connection  # noqa: E402
from dockline.sandbox import demo, fleet  # noqa: E402
from dockline.sync.celery import CeleryRunner, app  # noqa: E402
from dockline.sync.runners import Dispatcher  # noqa: E402


def one_run(workers: int, connections_count: int, orders: int, timeout: float) -> float:
    call_command("flush", interactive=False, verbosity=0)
    app.control.purge()
    worlds = [demo.build(intervals=demo.demo_intervals(1.0), seed=i) for i in range(connections_count)]
    Connection.objects.update(enabled=True)
    for world in worlds:
        for _ in range(orders):
            world.place_order()
    connections.close_all()
    home = Path(tempfile.mkdtemp(prefix="dockline-bench-worker-"))
    procs = [fleet.spawn_worker(home / str(i)) for i in range(workers)]
    dispatcher = Dispatcher(CeleryRunner(), tick=0.3)
    started = time.perf_counter()
    dispatcher.start()
    try:
        ok = demo.wait_until(lambda: all(demo.verify(w, orders).ok for w in worlds), timeout, interval=1.0)
        elapsed = time.perf_counter() - started
        if not ok:
            raise SystemExit("; ".join(demo.verify(w, orders).summary for w in worlds))
        return connections_count * orders / elapsed
    finally:
        dispatcher.stop()
        for proc in procs:
            fleet.kill(proc, signal.SIGTERM)
        for world in worlds:
            world.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--orders", type=int, default=100, help="orders per connection")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"{args.connections} connections x {args.orders} orders; sandboxes in this process; "
          "worker processes with concurrency 1")
    print(f"{'workers':>8} {'orders/s':>9} {'vs 1 worker':>12}")
    base = None
    for count in (int(w) for w in args.workers.split(",")):
        rate = one_run(count, args.connections, args.orders, args.timeout)
        base = base or rate
        print(f"{count:>8} {rate:>9.1f} {rate / base:>11.2f}x", flush=True)


if __name__ == "__main__":
    main()
