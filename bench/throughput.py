"""Orders per second end to end with 1, 2 and 4 Celery worker processes, the sandboxes out of process.

    createdb -h 127.0.0.1 -U postgres dockline_bench_perf
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/dockline_bench_perf \\
    BROKER_URL=redis://127.0.0.1:6379/11 DOCKLINE_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379/11 \\
        .venv/bin/python bench/throughput.py --orders 100 --connections 4

For each worker count: an emptied database, N connections, each to a sandbox
BigCommerce store and a simulated FTP warehouse served by a `dockline sandbox`
process of its own (so the sandboxes do not share this process's CPU; they
still share the machine's), `--orders` orders placed in each store, then the
scheduler runs here and `dockline worker --concurrency 1` processes do the
work. Timed (once every worker answers a ping) from the first dispatch until every order is Closed with its
tracking in the store and the stores' stock equals the warehouses'.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SOURCE))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SOURCE), os.environ.get("PYTHONPATH", "")) if p)
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")
os.environ.setdefault("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "1")  # the sandboxes listen on loopback

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from dockline.connections.models import Connection  # noqa: E402
from dockline.orders.models import Order  # noqa: E402
from dockline.orders.status import OrderStatus  # noqa: E402
from dockline.sandbox import demo, fleet  # noqa: E402
from dockline.sandbox.remote import RemoteSandboxes  # noqa: E402
from dockline.sync.celery import CeleryRunner, app  # noqa: E402
from dockline.sync.runners import Dispatcher  # noqa: E402


def one_run(workers: int, connections_count: int, orders: int, timeout: float) -> float:
    call_command("flush", interactive=False, verbosity=0)
    app.control.purge()
    sandboxes = [RemoteSandboxes.spawn() for _ in range(connections_count)]
    try:
        worlds = [s.world(intervals=demo.demo_intervals(1.0)) for s in sandboxes]
        Connection.objects.update(enabled=True)
        for world in worlds:
            world.place_orders(orders)
        connections.close_all()
        home = Path(tempfile.mkdtemp(prefix="dockline-bench-worker-"))
        procs = [fleet.spawn_worker(home / str(i)) for i in range(workers)]
        # timed from when every worker answers, not from its boot
        if not demo.wait_until(lambda: len(app.control.ping(timeout=1.0)) >= workers, 120, interval=0.5):
            raise SystemExit(f"{workers} worker processes did not all answer a ping within 2 minutes")
        dispatcher = Dispatcher(CeleryRunner(), tick=0.3)
        total = connections_count * orders
        started = time.perf_counter()
        dispatcher.start()
        try:
            closed = lambda: Order.objects.filter(status=OrderStatus.CLOSED).count() >= total  # noqa: E731
            ok = (demo.wait_until(closed, timeout, interval=0.5)
                  and demo.wait_until(lambda: all(demo.verify(w, orders).ok for w in worlds), 60, interval=0.5))
            elapsed = time.perf_counter() - started
            if not ok:
                raise SystemExit("; ".join(demo.verify(w, orders).summary for w in worlds))
            return total / elapsed
        finally:
            dispatcher.stop()
            for proc in procs:
                fleet.kill(proc, signal.SIGTERM)
    finally:
        for s in sandboxes:
            s.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--orders", type=int, default=100, help="orders per connection")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"{args.connections} connections x {args.orders} orders; each connection's sandboxes in a process "
          "of their own; worker processes with concurrency 1")
    print(f"{'workers':>8} {'orders/s':>9} {'vs 1 worker':>12}")
    base = None
    for count in (int(w) for w in args.workers.split(",")):
        rate = one_run(count, args.connections, args.orders, args.timeout)
        base = base or rate
        print(f"{count:>8} {rate:>9.1f} {rate / base:>11.2f}x", flush=True)


if __name__ == "__main__":
    main()
