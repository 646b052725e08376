"""Organization-independent periodic jobs run from the scheduler's tick, once per period, and the heartbeat."""
import time
from datetime import timedelta

from django.utils import timezone

from dockline.sync import periodic
from dockline.sync.models import PeriodicJob, SchedulerBeat
from dockline.sync.runners import Dispatcher, LocalRunner


def test_a_periodic_job_runs_once_per_period_whichever_scheduler_ticks_and_a_failure_is_recorded(db, monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})
    ran = []
    periodic.every("count", 60, ran.append)
    now = timezone.now()
    assert periodic.run_due(now) == ["count"]
    assert periodic.run_due(now + timedelta(seconds=30)) == []  # a second scheduler in the same minute
    assert periodic.run_due(now + timedelta(seconds=61)) == ["count"] and len(ran) == 2

    def broken(now):
        raise ValueError("no such policy")

    periodic.every("broken", 60, broken)
    periodic.run_due(now + timedelta(seconds=200))
    row = PeriodicJob.objects.get(name="broken")
    assert row.last_error == "ValueError: no such policy" and row.lease_expires_at is None


def test_the_dispatcher_beats_and_runs_the_registered_jobs_in_its_own_thread(transactional_db, monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})
    ran = []
    periodic.every("count", 3600, ran.append)
    runner = LocalRunner(workers=1)
    dispatcher = Dispatcher(runner, tick=0.05)
    dispatcher.start()
    deadline = time.monotonic() + 10
    while not ran and time.monotonic() < deadline:
        time.sleep(0.02)
    dispatcher.stop()
    dispatcher.join(timeout=10)
    runner.shutdown()
    assert len(ran) == 1
    assert SchedulerBeat.objects.get(owner=dispatcher.owner).beat_at > timezone.now() - timedelta(seconds=30)
