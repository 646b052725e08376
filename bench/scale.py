"""Scheduler cost and poll rate with many idle connections.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/dockline_bench \
        .venv/bin/python bench/scale.py --sizes 1000,10000,100000

For each N: N connections whose stores have no new orders, their orders
channels due spread evenly over the 15-minute interval. Prints, per N, the
scheduler's cost per tick with nothing due, its cost per dispatched job when
a batch is due, and how many polls a second one worker process completes
(a poll = one orders-channel run against the sandbox store: one API call
answered 204, run recorded, lease released). The database is emptied first.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")
os.environ.setdefault("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "1")  # the sandboxes listen on loopback

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection as db  # noqa: E402
from django.utils import timezone  # noqa: E402

from dockline.accounts.models import Merchant, Organization  # noqa: E402
from dockline.connections.models import Channel, ChannelKind, Connection, Store  # noqa: E402
from dockline.sandbox.bigcommerce import BigCommerceSandbox  # noqa: E402
from dockline.sync.jobs import run_channel  # noqa: E402
from dockline.sync.scheduler import claim_due  # noqa: E402
from dockline.warehouses.models import Warehouse  # noqa: E402

INTERVAL = timedelta(minutes=15)


def populate(n: int, sandbox: BigCommerceSandbox) -> None:
    call_command("flush", interactive=False, verbosity=0)
    org = Organization.objects.create(name="Bench 3PL")
    merchant = Merchant.objects.create(organization=org, name="Bench merchant")
    warehouse = Warehouse.objects.create(organization=org, name="Bench WMS", credentials={"host": "127.0.0.1"})
    store = Store(organization=org, merchant=merchant, name="Bench store", platform="bigcommerce",
                  credentials=sandbox.credentials, settings={"api_base": sandbox.base_url})
    stores = Store.objects.bulk_create([Store(**{f.attname: getattr(store, f.attname) for f in Store._meta.concrete_fields
                                                 if f.attname != "id"}) for _ in range(n)], batch_size=2000)
    conns = Connection.objects.bulk_create(
        [Connection(organization=org, name=f"c{i}", merchant=merchant, store=s, warehouse=warehouse, enabled=True)
         for i, s in enumerate(stores)], batch_size=2000)
    now = timezone.now()
    channels = []
    for i, c in enumerate(conns):
        offset = INTERVAL * (i / n)  # due times spread evenly over the interval
        channels.append(Channel(connection=c, kind=ChannelKind.ORDERS, interval=INTERVAL, next_run_at=now + offset))
    Channel.objects.bulk_create(channels, batch_size=5000)
    if db.vendor == "postgresql":
        with db.cursor() as cur:
            cur.execute("ANALYZE")


def scheduler_cost(n: int, repeats: int) -> tuple[float, float, int]:
    """(ms per idle tick, µs per dispatched job, jobs per minute's batch): medians over `repeats`."""
    idle, per_job, batches = [], [], []
    base = timezone.now() - timedelta(seconds=1)
    for r in range(repeats):
        t = time.perf_counter()
        claimed = claim_due("bench-idle", limit=1000, now=base - INTERVAL)  # nothing is due that early
        idle.append((time.perf_counter() - t) * 1000)
        assert claimed == []
        # The scheduler a minute later each time: one minute's worth of due jobs (N/15 of them).
        at = base + timedelta(seconds=60 * (r + 1))
        t = time.perf_counter()
        claimed = claim_due(f"bench-{r}", limit=100_000, now=at)
        elapsed = time.perf_counter() - t
        batches.append(len(claimed))
        if claimed:
            per_job.append(elapsed / len(claimed) * 1e6)
        # Release them as a finished run would: due again one interval later.
        Channel.objects.filter(id__in=claimed).update(lease_owner="", lease_expires_at=None,
                                                     next_run_at=at + INTERVAL)
    return statistics.median(idle), statistics.median(per_job) if per_job else float("nan"), int(statistics.median(batches))


def polls_per_second(jobs: int) -> float:
    ids = list(Channel.objects.values_list("id", flat=True)[:jobs])
    Channel.objects.filter(id__in=ids).update(lease_owner="bench-poll", lease_expires_at=timezone.now() + INTERVAL)
    t = time.perf_counter()
    for cid in ids:
        run = run_channel(cid, "bench-poll")
        assert run is not None and run.ok, run and run.error
    return len(ids) / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated connection counts")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--polls", type=int, default=300, help="orders-channel runs timed per size")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    sandbox = BigCommerceSandbox(store_hash="bench", quota=10_000_000).start()
    print(f"database: {db.vendor}; medians of {args.repeats} ticks; one worker process, one thread")
    print(f"{'connections':>12} {'idle tick ms':>13} {'due per min':>12} {'µs per dispatched job':>22} "
          f"{'polls/s per worker':>19}")
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            t = time.perf_counter()
            populate(n, sandbox)
            setup = time.perf_counter() - t
            idle_ms, job_us, batch = scheduler_cost(n, args.repeats)
            pps = polls_per_second(min(args.polls, n))
            print(f"{n:>12} {idle_ms:>13.2f} {batch:>12} {job_us:>22.1f} {pps:>19.1f}   (setup {setup:.0f} s)",
                  flush=True)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
