"""Fault trials: seeded runs of a small Dockline flow under random faults at every boundary, judged by the sandboxes.

    .venv/bin/python bench/chaos.py --trials 1000          # seeds 1..1000 (--first to start elsewhere)
    .venv/bin/python bench/chaos.py --seed 28 --trials 1   # replay one trial
    .venv/bin/python bench/chaos.py --trials 50 --kinds store_timeout,job_killed_after_side_effect
    nice .venv/bin/python bench/chaos.py --mode celery --minutes 15 --trials 1000
    .venv/bin/python bench/chaos.py --mode celery --seed 7 --trials 1

--mode sqlite (the default): SQLite in a fresh temporary DOCKLINE_HOME, the channel jobs run by the
engine in this process (`dockline.sandbox.chaos.trial`). --mode celery: a private PostgreSQL cluster and
Redis started for the run (never the machine's shared ones), two `dockline worker` processes and the
scheduler, with workers killed, the scheduler, PostgreSQL and Redis restarted (`dockline.sandbox.chaos.celery`);
the processes share the stores' API quotas in that Redis, so its restarts hit them too.
Prints every failed trial with its seed, then the trials run, the faults injected by kind, and the
lost / duplicated / stuck / stock-off counts. Exits 1 when a trial failed.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
sys.path.insert(0, SRC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("sqlite", "celery"), default="sqlite")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", "--first", dest="first", type=int, default=1, help="seed of the first trial")
    parser.add_argument("--kinds", default="", help="fault kinds, comma-separated (default: the mode's defaults)")
    parser.add_argument("--minutes", type=float, default=0.0,
                        help="stop starting trials after this many minutes (0: run them all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every trial")
    return parser


def _setup(mode: str) -> None:
    """Point Django at the mode's database and broker (private instances for celery), then set it up."""
    home = tempfile.mkdtemp(prefix="dockline-chaos-")
    os.environ.setdefault("DOCKLINE_HOME", home)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dockline.settings"
    os.environ["DOCKLINE_ALLOW_PRIVATE_ADDRESSES"] = "1"  # the sandboxes listen on loopback
    if mode == "celery":
        from dockline.sandbox.instances import PrivatePostgres, PrivateRedis

        global SERVICES
        SERVICES = (PrivatePostgres().start(), PrivateRedis().start())
        os.environ["DATABASE_URL"], os.environ["BROKER_URL"] = SERVICES[0].url, SERVICES[1].url
        os.environ["DOCKLINE_RATE_LIMIT_STORAGE"] = SERVICES[1].database(1)  # one store quota for all: Redis restarts hit it
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (SRC, os.environ.get("PYTHONPATH"))))  # workers
        os.environ["DOCKLINE_LEASE_SECONDS"] = "4"  # short: a dead worker's job is taken over within a trial
        # Its stores never sit on a request (store_timeout is left to the SQLite trials), so a push in doubt
        # is confirmed after seconds, not the 120 a real store may sit on one: settling waits for that.
        os.environ["DOCKLINE_STALE_WRITE_SECONDS"] = "5"
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("BROKER_URL", None)
    import django

    django.setup()


SERVICES = None


def main() -> int:
    parser = _parser()
    args = parser.parse_args()
    # `kill` (SIGTERM) stops it like Ctrl-C: the workers, the private PostgreSQL and Redis are stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _setup(args.mode)
    from django.conf import settings
    from django.core.management import call_command

    from dockline.sandbox import chaos

    known = set(chaos.FAULT_KINDS) | (set(chaos.PROCESS_KINDS) if args.mode == "celery" else set())
    if args.mode == "celery":
        known -= chaos.IN_PROCESS_ONLY
    kinds = [k for k in args.kinds.split(",") if k] or list(chaos.CELERY_KINDS if args.mode == "celery" else chaos.DEFAULT_KINDS)
    unknown = sorted(set(kinds) - known)
    if unknown:
        parser.error(f"unknown fault kind(s) for --mode {args.mode}: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    logging.disable(logging.CRITICAL if args.mode == "celery" else logging.WARNING)  # restarts make the engine shout
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the demo admin's, unused
    call_command("migrate", verbosity=0, interactive=False)
    if args.mode == "celery":
        from django.db import connections

        connections.close_all()
        fleet = chaos.Fleet(Path(os.environ["DOCKLINE_HOME"]), *SERVICES).start()

        def trial(seed):
            return chaos.run_celery_trial(seed, fleet, kinds)
    else:
        fleet = None

        def trial(seed):
            return chaos.run_trial(seed, kinds)

    faults, failed = Counter(), []
    totals = Counter()
    started = time.perf_counter()
    seeds = range(args.first, args.first + args.trials)
    ran = 0
    try:
        for seed in seeds:
            if args.minutes and time.perf_counter() - started > args.minutes * 60:
                break
            ran += 1
            try:
                verdict = trial(seed)
            except Exception:  # noqa: BLE001 - a crashed trial fails, printed whole; the others still run
                failed.append(seed)
                totals.update(crashed=1)
                print(f"seed {seed}: the trial crashed -- replay: bench/chaos.py --mode {args.mode} --seed {seed} "
                      f"--trials 1\n{traceback.format_exc()}", flush=True)
                continue
            faults.update(verdict.faults)
            totals.update(orders=verdict.orders, shipments=verdict.shipments, lost=len(verdict.lost),
                          duplicated=len(verdict.duplicated), stuck=len(verdict.stuck),
                          stock_off=len(verdict.stock_off), stopped=len(verdict.stopped))
            if not verdict.ok:
                failed.append(seed)
            if args.verbose or not verdict.ok:
                print(verdict.describe() + ("" if verdict.ok else f" -- replay: bench/chaos.py --mode {args.mode} "
                                            f"--seed {seed} --trials 1"), flush=True)
            if args.verbose:
                print("    " + ", ".join(f"{k} {n}" for k, n in sorted(verdict.faults.items())), flush=True)
    finally:
        if fleet is not None:
            fleet.stop()
    elapsed = time.perf_counter() - started
    print(f"mode: {args.mode}; trials: {ran} (seeds {args.first}-{args.first + ran - 1}), {len(failed)} failed"
          + (f" (seeds {', '.join(map(str, failed[:20]))})" if failed else "")
          + f", {elapsed:.0f}s ({elapsed / max(1, ran):.2f}s per trial)")
    print(f"orders: {totals['orders']}, warehouse shipments: {totals['shipments']}, "
          f"stopped with a reason shown (unmapped SKU): {totals['stopped']}")
    print(f"faults injected: {sum(faults.values())}")
    for kind, count in sorted(faults.items()):
        print(f"  {kind:32} {count}")
    print(f"lost: {totals['lost']}  duplicated: {totals['duplicated']}  stuck: {totals['stuck']}  "
          f"stock off: {totals['stock_off']}  crashed: {totals['crashed']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
