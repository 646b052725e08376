"""Periodic jobs that belong to no organization, run from the scheduler's tick.

A higher layer registers a job with `every(name, seconds, fn)` (the alerts app does, in its
`ready()`), so the scheduler never imports what it runs. Each job has a row (`PeriodicJob`); a
scheduler claims it with a conditional UPDATE on its due time, so two schedulers never run it
twice for one period. The scheduler also writes its heartbeat here (`beat`), read by /healthz.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from dockline.sync.models import PeriodicJob, SchedulerBeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: float
    run: Callable[[datetime], object]  # run(now)


_jobs: dict[str, Periodic] = {}


def every(name: str, seconds: float, fn: Callable[[datetime], object]) -> None:
    """Run `fn(now)` about every `seconds`, from whichever scheduler claims it first."""
    _jobs[name] = Periodic(name, seconds, fn)


def registered() -> list[Periodic]:
    return list(_jobs.values())


def run_due(now: datetime | None = None) -> list[str]:
    """Run each registered job that is due and not running elsewhere; returns the names run.

    A failing job is recorded on its row and logged; the tick goes on (an engine boundary)."""
    now = now or timezone.now()
    ran = []
    for job in registered():
        row, _ = PeriodicJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
        claimed = PeriodicJob.objects.filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now), id=row.id, next_run_at__lte=now,
        ).update(lease_expires_at=now + timedelta(seconds=max(60.0, job.seconds * 5)),
                 next_run_at=now + timedelta(seconds=job.seconds))
        if not claimed:
            continue
        changes: dict = {"lease_expires_at": None}
        try:
            job.run(now)
            changes.update(last_ok_at=timezone.now(), last_error="")
        except Exception as exc:  # one job's bug must not stop the scheduler
            log.exception("periodic job %s failed", job.name)
            changes["last_error"] = f"{type(exc).__name__}: {exc}"
        PeriodicJob.objects.filter(id=row.id).update(**changes)
        ran.append(job.name)
    return ran


def beat(owner: str, now: datetime | None = None) -> None:
    """Record that the scheduler `owner` ticked at `now`."""
    SchedulerBeat.objects.update_or_create(owner=owner, defaults={"beat_at": now or timezone.now()})


def last_beat() -> datetime | None:
    """When any scheduler last ticked (None if none ever did)."""
    newest = SchedulerBeat.objects.order_by("-beat_at").first()
    return newest.beat_at if newest else None
