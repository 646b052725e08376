"""Fault trials on PostgreSQL, Redis and Celery worker processes, with process faults drawn from the seed.

The same worlds, store, webhook and warehouse faults and verdict as the SQLite trials (`trial`), but the
channel jobs run where they run in a scale-out deployment: a scheduler (`Dispatcher` with the
`CeleryRunner`) in this process claims due jobs and sends them through Redis to `dockline worker`
processes. A round marks the jobs it drew due and waits for them; while they run, one of the enabled
`PROCESS_KINDS` may strike at a random moment:

* a worker is killed with SIGKILL (with its job processes) and a new one started; its lease runs out;
* the scheduler stops and a new one starts;
* PostgreSQL restarts, dropping every connection of every process;
* Redis restarts without persistence, losing every queued message (claims wait out their lease) and the
  stores' API quotas every process counts there (RATE_LIMIT_STORAGE; each counts on its own meanwhile).

The PostgreSQL cluster and Redis are private instances (`dockline.sandbox.instances`), never the
machine's shared ones; run with a short `LEASE_SECONDS` (bench/chaos.py sets four) so a dead worker's
job is taken over within a trial. `Fleet` holds them with the workers and the scheduler across trials; the kinds
that need the engine in this process (`IN_PROCESS_ONLY`: the job-thread kill points and the client
timeout the driver shortens) are left to the SQLite trials.
"""
from __future__ import annotations

import signal
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

from dockline.connections.models import Channel, ChannelKind
from dockline.sandbox import demo, fleet
from dockline.sandbox.chaos.faults import DEFAULT_KINDS
from dockline.sandbox.chaos.trial import Trial
from dockline.sandbox.chaos.verdict import Verdict
from dockline.sandbox.instances import PrivatePostgres, PrivateRedis
from dockline.sync.models import SyncRun

PROCESS_KINDS = {
    "worker_killed": "a Celery worker is killed with SIGKILL at a random moment, then started again",
    "scheduler_restarted": "the scheduler stops and a new one starts",
    "postgres_restarted": "PostgreSQL restarts, dropping every connection",
    "redis_restarted": "Redis restarts, losing every queued message and the shared quota counts",
}
IN_PROCESS_ONLY = frozenset({"store_timeout", "job_killed_before_side_effect", "job_killed_after_side_effect"})
CELERY_KINDS = tuple(k for k in DEFAULT_KINDS if k not in IN_PROCESS_ONLY) + tuple(PROCESS_KINDS)
WORKERS = 2
PROCESS_FAULT_RATE = 0.5  # chance per round under faults
ROUND_LEASES = 3  # a round waits this many lease lengths for its jobs, then moves on
SETTLE_LEASES = 12  # the calm phase waits this many for a job before calling it unfinished
# The sandbox stores' rate-limit window (BigCommerce's is 30 s): a 429's wait in a worker lasts at most this,
# so the process faults strike running jobs rather than workers asleep in a 30 s window.
STORE_WINDOW_SECONDS = 2.0


class Fleet:
    """Private PostgreSQL and Redis, `WORKERS` Celery workers and the scheduler, kept across trials."""

    def __init__(self, home: Path, pg: PrivatePostgres, redis: PrivateRedis) -> None:
        self.home, self.pg, self.redis = home, pg, redis
        self.workers: list = []
        self.dispatcher = None
        self.spawned = 0

    def start(self) -> Fleet:
        self.workers = [self._spawn() for _ in range(WORKERS)]
        self.start_scheduler()
        self.wait_for_workers()
        return self

    def _spawn(self):
        self.spawned += 1
        home = self.home / f"worker{self.spawned}"
        home.mkdir(parents=True, exist_ok=True)
        return fleet.spawn_worker(home, concurrency=1, log=self.home / "workers.log")

    def wait_for_workers(self, timeout: float = 120.0) -> None:
        from dockline.sync.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(w.poll() is not None for w in self.workers):
                log = (self.home / "workers.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"a Celery worker exited on start:\n{log}")
            if len(app.control.ping(timeout=1.0) or []) >= len(self.workers):
                return
        raise RuntimeError(f"the Celery workers did not answer within {timeout:.0f}s (see {self.home}/workers.log)")

    def start_scheduler(self) -> None:
        from dockline.sync.celery import CeleryRunner
        from dockline.sync.runners import Dispatcher

        self.dispatcher = Dispatcher(CeleryRunner(), tick=0.1)
        self.dispatcher.start()

    def restart_scheduler(self) -> None:
        self.dispatcher.stop()
        self.dispatcher.join(30)
        self.start_scheduler()

    def kill_worker(self, index: int) -> None:
        fleet.kill(self.workers[index])  # SIGKILL to the worker and its job processes
        self.workers[index] = self._spawn()

    def revive(self) -> None:
        """Start a new worker for any that died on its own (so the calm phase has them all)."""
        for index, worker in enumerate(self.workers):
            if worker.poll() is not None:
                self.workers[index] = self._spawn()

    def stop(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher.join(30)
        for worker in self.workers:
            fleet.kill(worker, signal.SIGTERM)


def run_celery_trial(seed: int, fleet_: Fleet, kinds=CELERY_KINDS) -> Verdict:
    """Build a world, run its jobs on the fleet under faults of `kinds` drawn from `seed`, settle, judge."""
    trial = CeleryTrial(seed, frozenset(kinds), fleet_)
    started = time.perf_counter()
    try:
        trial.build()
        trial.faulty = True
        trial.run()
        trial.faulty = False
        fleet_.revive()
        trial.settle()
        verdict = trial.judge()
    finally:
        trial.stop()
    verdict.seconds = time.perf_counter() - started
    if trial.unfinished:
        verdict.stuck.append(f"jobs never finished in {SETTLE_LEASES} lease lengths: {', '.join(trial.unfinished[:5])}")
    return verdict


class CeleryTrial(Trial):
    """A `Trial` whose jobs the scheduler claims and the Celery workers run, under process faults too."""

    def __init__(self, seed: int, kinds: frozenset[str], fleet_: Fleet) -> None:
        super().__init__(seed, kinds)
        self.fleet = fleet_
        self.faulty = False
        self.unfinished: list[str] = []

    def build(self) -> None:
        super().build()
        for world in self.worlds:  # the workers wait out a 429 for real, until the window ends
            world.store.sandbox.app.limiter.window = STORE_WINDOW_SECONDS

    def _run_jobs(self, jobs: Iterable[tuple[demo.DemoWorld, ChannelKind]], settling: bool = False) -> None:
        jobs = list(jobs)
        if not jobs:
            return
        ids = [Channel.objects.get(connection=world.connection, kind=kind).id for world, kind in jobs]
        since = timezone.now()
        Channel.objects.filter(id__in=ids).update(next_run_at=since)
        if self.faulty:
            self._process_fault()
        left = self._wait(ids, since, settings.LEASE_SECONDS * (SETTLE_LEASES if settling else ROUND_LEASES))
        if settling and left:
            self.unfinished.extend(_describe(left))

    def _process_fault(self) -> None:
        on = [k for k in PROCESS_KINDS if k in self.kinds]
        if not on or self.rng.random() >= PROCESS_FAULT_RATE:
            return
        kind, delay = self.rng.choice(on), self.rng.uniform(0.0, 1.5)
        time.sleep(delay)  # the jobs are running meanwhile
        if kind == "worker_killed":
            self.fleet.kill_worker(self.rng.randrange(len(self.fleet.workers)))
        elif kind == "scheduler_restarted":
            self.fleet.restart_scheduler()
        elif kind == "postgres_restarted":
            self.fleet.pg.restart()
            connections.close_all()
        else:
            self.fleet.redis.restart()
        self.counted[kind] += 1

    @staticmethod
    def _wait(ids: list[int], since, timeout: float) -> list[int]:
        """Until each job ran a whole run begun after `since` (those not yet are marked due again); the ones left.

        A run already under way at `since` does not count: it may have begun before what the round did (a
        shipment file the warehouse just wrote), and a calm round it satisfied could look quiet too early.
        """
        deadline = time.monotonic() + timeout
        left = set(ids)
        while time.monotonic() < deadline:
            try:
                left -= set(SyncRun.objects.filter(channel_id__in=left, started_at__gte=since, finished_at__isnull=False)
                            .values_list("channel_id", flat=True))
                if not left:
                    return []
                Channel.objects.filter(id__in=left).update(next_run_at=timezone.now())
            except DatabaseError:  # PostgreSQL is restarting
                connections.close_all()
            time.sleep(0.1)
        return sorted(left)


def _describe(ids: list[int]) -> list[str]:
    """Each unfinished job with its lease and its last run: what finding out why starts from."""
    described = []
    for channel in Channel.objects.filter(id__in=ids).order_by("id"):
        run = SyncRun.objects.filter(channel=channel).first()  # the newest
        last = "never run" if run is None else f"last run from {run.started_at:%H:%M:%S} " + (
            "still running" if run.ok is None else "ok" if run.ok else f"failed: {run.error[:120]}")
        lease = f"leased until {channel.lease_expires_at:%H:%M:%S}" if channel.lease_owner else "not leased"
        described.append(f"channel {channel.id} ({channel.connection_id}/{channel.kind}; {lease}; {last})")
    return described
