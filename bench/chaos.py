"""Fault trials: seeded runs of a small Dockline flow under random faults at every boundary, judged by the sandboxes.

    .venv/bin/python bench/chaos.py --trials 1000          # seeds 1..1000 (--first to start elsewhere)
    .venv/bin/python bench/chaos.py --seed 28 --trials 1   # replay one trial
    .venv/bin/python bench/chaos.py --trials 50 --kinds store_timeout,job_killed_after_side_effect

SQLite in a fresh temporary DOCKLINE_HOME, the channel jobs run by the engine in this process
(`dockline.sandbox.chaos`). Prints every failed trial with its seed, then the trials run, the faults
injected by kind, and the lost / duplicated / stuck / stock-off counts. Exits 1 when a trial failed.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-chaos-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from dockline.sandbox.chaos import DEFAULT_KINDS, FAULT_KINDS, run_trial  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", "--first", dest="first", type=int, default=1, help="seed of the first trial")
    parser.add_argument("--kinds", default=",".join(DEFAULT_KINDS),
                        help=f"fault kinds, comma-separated (all: {', '.join(FAULT_KINDS)})")
    parser.add_argument("--minutes", type=float, default=0.0,
                        help="stop starting trials after this many minutes (0: run them all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every trial")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = sorted(set(kinds) - set(FAULT_KINDS))
    if unknown:
        parser.error(f"unknown fault kind(s): {', '.join(unknown)}")
    logging.disable(logging.WARNING)  # the faults make the engine warn a lot; errors still show
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the demo admin's, unused
    call_command("migrate", verbosity=0, interactive=False)

    faults, failed = Counter(), []
    totals = Counter()
    started = time.perf_counter()
    seeds = range(args.first, args.first + args.trials)
    ran = 0
    for seed in seeds:
        if args.minutes and time.perf_counter() - started > args.minutes * 60:
            break
        ran += 1
        verdict = run_trial(seed, kinds)
        faults.update(verdict.faults)
        totals.update(orders=verdict.orders, shipments=verdict.shipments, lost=len(verdict.lost),
                      duplicated=len(verdict.duplicated), stuck=len(verdict.stuck),
                      stock_off=len(verdict.stock_off), stopped=len(verdict.stopped))
        if not verdict.ok:
            failed.append(seed)
        if args.verbose or not verdict.ok:
            print(verdict.describe(), flush=True)
    elapsed = time.perf_counter() - started
    print(f"trials: {ran} (seeds {args.first}-{args.first + ran - 1}), {len(failed)} failed"
          + (f" (seeds {', '.join(map(str, failed[:20]))})" if failed else "")
          + f", {elapsed:.0f}s ({elapsed / max(1, ran):.2f}s per trial)")
    print(f"orders: {totals['orders']}, warehouse shipments: {totals['shipments']}, "
          f"stopped with a reason shown (unmapped SKU): {totals['stopped']}")
    print(f"faults injected: {sum(faults.values())}")
    for kind, count in sorted(faults.items()):
        print(f"  {kind:32} {count}")
    print(f"lost: {totals['lost']}  duplicated: {totals['duplicated']}  stuck: {totals['stuck']}  "
          f"stock off: {totals['stock_off']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
