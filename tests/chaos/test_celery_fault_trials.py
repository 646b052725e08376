"""Fault trials on PostgreSQL, Redis and Celery worker processes (the scale-out pass of `make test`).

`bench/chaos.py --mode celery` starts its own PostgreSQL cluster and Redis (never the machine's shared
ones, which the trial restarts), two `dockline worker` processes and the scheduler, then runs seeded
trials with workers SIGKILLed and the scheduler, PostgreSQL and Redis restarted among the store,
webhook and warehouse faults. A failure prints the seed and the command that replays it.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.scale

BENCH = Path(__file__).resolve().parents[2] / "bench" / "chaos.py"
# Sized to the CI limit (one trial and the instances' start-up); seed 1 restarts PostgreSQL and the scheduler
# among a dozen store, webhook and warehouse faults (a slow in-place write among them).
SEED = 1


def test_no_order_is_lost_or_sent_twice_when_workers_die_and_postgres_and_redis_restart():
    env = {**os.environ, "PYTHONPATH": str(BENCH.parents[1] / "src")}
    for name in ("DATABASE_URL", "BROKER_URL"):  # the bench starts private ones: these are shared
        env.pop(name, None)
    done = subprocess.run([sys.executable, str(BENCH), "--mode", "celery", "--seed", str(SEED),
                           "--trials", "1", "-v"], env=env, capture_output=True, text=True, timeout=300)
    report = done.stdout + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert "lost: 0  duplicated: 0  stuck: 0  stock off: 0  crashed: 0" in done.stdout, report
    process_faults = [line for line in done.stdout.splitlines()
                      if line.split()[:1] and line.split()[0] in ("worker_killed", "scheduler_restarted",
                                                                   "postgres_restarted", "redis_restarted")]
    assert process_faults, report
