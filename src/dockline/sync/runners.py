"""Runners carry leased job ids to where they run. The database stays the source of truth."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connections

from dockline.sync import periodic
from dockline.sync.jobs import run_channel
from dockline.sync.scheduler import claim_due, new_owner

log = logging.getLogger(__name__)
BEAT = 5.0  # seconds between two heartbeats of one scheduler


class LocalRunner:
    """A thread pool inside the current process: the embedded default."""

    def __init__(self, workers: int = 4):
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="dockline-job")
        self._busy = 0
        self._lock = threading.Lock()

    @property
    def free_slots(self) -> int:
        with self._lock:
            return self.workers - self._busy

    def submit(self, channel_id: int, owner: str) -> None:
        with self._lock:
            self._busy += 1
        self._pool.submit(self._run, channel_id, owner)

    def _run(self, channel_id: int, owner: str) -> None:
        close_old_connections()
        try:
            run_channel(channel_id, owner)
        except Exception:
            log.exception("job %s crashed", channel_id)
        finally:
            connections.close_all()
            with self._lock:
                self._busy -= 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class Dispatcher(threading.Thread):
    """The scheduler loop: every `tick` seconds, claim due jobs and hand them to the runner."""

    def __init__(self, runner, tick: float = 2.0):
        super().__init__(name="dockline-scheduler", daemon=True)
        self.runner = runner
        self.tick = tick
        self.owner = new_owner()
        self._halt = threading.Event()
        self._beaten = -BEAT
        self._periodic: threading.Thread | None = None

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.dispatch_once()
                self._tick_periodic()
            except Exception:
                log.exception("scheduler tick failed")
            finally:
                connections.close_all()
            self._halt.wait(self.tick)
        if self._periodic is not None:
            self._periodic.join()

    def dispatch_once(self) -> int:
        ids = claim_due(self.owner, limit=self.runner.free_slots)
        for channel_id in ids:
            self.runner.submit(channel_id, self.owner)
        return len(ids)

    def _tick_periodic(self) -> None:
        """Beat (at most every BEAT seconds) and start the periodic jobs in their own thread, so a slow
        delivery never delays dispatching; a tick while they still run starts nothing."""
        now = time.monotonic()
        if now - self._beaten < BEAT:
            return
        periodic.beat(self.owner)
        self._beaten = now
        if self._periodic is None or not self._periodic.is_alive():
            self._periodic = threading.Thread(target=self._run_periodic, name="dockline-periodic", daemon=True)
            self._periodic.start()

    @staticmethod
    def _run_periodic() -> None:
        try:
            periodic.run_due()
        except Exception:
            log.exception("periodic jobs failed")
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._halt.set()
