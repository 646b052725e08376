"""What a merchant feels: order placed -> file in the warehouse, and shipment file -> tracking in the store.

    .venv/bin/python bench/latency.py --orders 1000 --rate 5

The sandboxes run in a process of their own (`dockline sandbox`: BigCommerce
store, simulated WMS over FTP shipping each order after `--ship-delay` s, in one
part). Dockline runs here as `dockline serve` runs it: the scheduler (tick
`--tick` s) and the in-process runner (4 job threads) on SQLite, plus the web
server receiving the store's webhooks. Orders are placed at a steady `--rate`.

Two modes, each with fresh sandboxes:
- webhooks: Dockline's public address is https://dockline.test, which the
  sandbox resolves to this process's web server; the orders channel polls only
  every 15 minutes, so the webhook brings each order.
- polling: no webhooks; the orders channel runs every `--poll-interval` s, which
  bounds the latency (an order waits up to one interval for the next run).
The shipments channel runs every `--shipments-interval` s in both modes: the
warehouse sends no webhooks, so that interval bounds the shipment latency.

Times: placed = the store took the order (sandbox clock); landed = the complete
order file appeared in the warehouse inbox (its inode change time: the final
rename); shipment written = the warehouse's shipment file is in /out; tracked =
the store has the shipment. Same machine, same clock.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-latency-",
                                                        dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")
os.environ.setdefault("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "1")  # the sandboxes listen on loopback
os.environ["DOCKLINE_PUBLIC_URL"] = "https://dockline.test"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from dockline.connections.models import ChannelKind  # noqa: E402
from dockline.connections.services import enable  # noqa: E402
from dockline.sandbox.demo import wait_until  # noqa: E402
from dockline.sandbox.http import QuietHandler  # noqa: E402
from dockline.sandbox.remote import RemoteSandboxes  # noqa: E402
from dockline.sync.runners import Dispatcher, LocalRunner  # noqa: E402


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 (nearest rank) and max; empty when there are no values."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1],
            "mean": statistics.fmean(ordered)}


def run_mode(mode: str, args) -> dict[str, dict[str, float]]:
    web = None
    resolve = {}
    if mode == "webhooks":
        web = make_server("127.0.0.1", 0, get_wsgi_application(), threaded=True, request_handler=QuietHandler)

        threading.Thread(target=web.serve_forever, name="dockline-web", daemon=True).start()
        resolve = {"dockline.test": f"http://127.0.0.1:{web.server_port}"}
    orders_every = 900.0 if mode == "webhooks" else args.poll_interval
    intervals = {ChannelKind.ORDERS: timedelta(seconds=orders_every),
                 ChannelKind.SHIPMENTS: timedelta(seconds=args.shipments_interval),
                 ChannelKind.INVENTORY: timedelta(seconds=60)}
    runner = LocalRunner(4)
    dispatcher = Dispatcher(runner, tick=args.tick)
    with RemoteSandboxes.spawn(ship_delay=args.ship_delay, partial_rate=0.0, resolve=resolve,
                               latency_ms=args.latency_ms) as sandboxes:
        world = sandboxes.world(intervals=intervals)
        note = enable(world.connection)
        if mode == "webhooks" and note:
            raise SystemExit(f"webhooks did not switch on: {note}")
        dispatcher.start()
        try:
            time.sleep(max(args.tick * 2, 1.0))  # the runs enabling made due are over
            started = time.monotonic()
            for i in range(args.orders):
                pause = started + i / args.rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                sandboxes.place_orders(1)

            def done() -> bool:
                t = sandboxes.timeline()
                return len(t["tracked"]) >= args.orders

            if not wait_until(done, args.timeout, interval=1.0):
                t = sandboxes.timeline()
                raise SystemExit(f"{mode}: after {args.timeout:.0f} s, {len(t['landed'])} of {args.orders} orders "
                                 f"reached the warehouse and {len(t['tracked'])} have tracking in the store")
            t = sandboxes.timeline()
        finally:
            dispatcher.stop()
            runner.shutdown()
            if web is not None:
                web.shutdown()
    to_file = [t["landed"][n] - t["placed"][n] for n in t["placed"]]
    to_tracking = [t["tracked"][n] - t["shipment_written"][n] for n in t["placed"]]
    return {"order placed -> file in warehouse": percentiles(to_file),
            "shipment file -> tracking in store": percentiles(to_tracking)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="orders per mode (full size: 1000)")
    parser.add_argument("--rate", type=float, default=5.0, help="orders placed per second")
    parser.add_argument("--modes", default="webhooks,polling")
    parser.add_argument("--tick", type=float, default=2.0, help="scheduler tick, s (dockline serve's default)")
    parser.add_argument("--poll-interval", type=float, default=5.0, help="orders channel interval when polling, s")
    parser.add_argument("--shipments-interval", type=float, default=5.0, help="shipments channel interval, s")
    parser.add_argument("--ship-delay", type=float, default=1.0, help="seconds the warehouse takes to ship")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every store API answer")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"{args.orders} orders per mode at {args.rate:g}/s; scheduler tick {args.tick:g} s, 4 job threads, SQLite; "
          f"polling interval {args.poll_interval:g} s; shipments channel every {args.shipments_interval:g} s; "
          f"store API latency +{args.latency_ms:g} ms; sandboxes in their own process")
    print(f"{'mode':<9} {'path':<36} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'max s':>7}")
    for mode in args.modes.split(","):
        for path, p in run_mode(mode, args).items():
            print(f"{mode:<9} {path:<36} {p['p50']:>7.2f} {p['p95']:>7.2f} {p['p99']:>7.2f} {p['max']:>7.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
