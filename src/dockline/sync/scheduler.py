"""Leases on channel jobs, so that one job runs once at a time wherever it runs.

A scheduler *claims* due jobs under a claim token and sets their next run; the
runner carries (job id, claim token) to a worker, which *takes* the lease
under its own run token before running and keeps it alive with a heartbeat.
A message delivered twice finds the lease already taken and does nothing; a
worker that dies stops its heartbeat, the lease expires, and the job is
claimed again.
"""
from __future__ import annotations

import contextvars
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db import connection as db
from django.db.models import F, Q
from django.utils import timezone

from dockline.connections.models import Channel


def lease_length() -> timedelta:
    return timedelta(seconds=settings.LEASE_SECONDS)


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due(now: datetime):
    return Channel.objects.filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
        enabled=True,
        connection__enabled=True,
        next_run_at__lte=now,
    )


def claim_due(owner: str, limit: int = 100, now: datetime | None = None) -> list[int]:
    """Lease up to `limit` due jobs to `owner` and set their next run; returns the claimed channel ids.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent schedulers never
    claim the same row. SQLite: a conditional UPDATE per row, which only one
    writer can win. Either way the work is proportional to the due jobs.
    """
    if limit <= 0:
        return []
    now = now or timezone.now()
    claim = {"lease_owner": owner, "lease_expires_at": now + lease_length(), "next_run_at": now + F("interval")}
    if db.vendor == "postgresql":
        with transaction.atomic():
            ids = list(
                _due(now).order_by("next_run_at").select_for_update(skip_locked=True, of=("self",))
                .values_list("id", flat=True)[:limit]
            )
            Channel.objects.filter(id__in=ids).update(**claim)
        return ids
    candidates = list(_due(now).order_by("next_run_at").values_list("id", flat=True)[:limit])
    return [cid for cid in candidates if _due(now).filter(id=cid).update(**claim) == 1]


def take(channel_id: int, claim_token: str) -> str | None:
    """Turn a claim into a running lease under a fresh run token; None if the claim is gone."""
    run_token = new_owner()
    taken = Channel.objects.filter(id=channel_id, lease_owner=claim_token).update(
        lease_owner=run_token, lease_expires_at=timezone.now() + lease_length()
    )
    return run_token if taken else None


class LeaseLost(Exception):
    """Another worker took this job over, or may have (our lease expired): stop before the next side effect."""


@dataclass
class _Lease:
    """What the heartbeat knows of a running lease: taken over, and until when it is surely ours (monotonic)."""

    until: float
    lost: threading.Event = field(default_factory=threading.Event)


_held: contextvars.ContextVar[_Lease | None] = contextvars.ContextVar("lease", default=None)


def ensure_lease() -> None:
    """Called before each side effect (upload, post, push); a no-op outside a leased job.

    A lease the heartbeat could not renew in time (the database unreachable) may have been claimed by
    another worker meanwhile, so it counts as lost: a job must not act twice at once.
    """
    lease = _held.get()
    if lease is None:
        return
    if lease.lost.is_set():
        raise LeaseLost("the lease on this job expired and another worker took it over")
    if time.monotonic() >= lease.until:
        raise LeaseLost(f"the lease on this job could not be renewed for {settings.LEASE_SECONDS:g} s (the database "
                        "did not answer), so another worker may have taken it over")


@contextmanager
def heartbeat(channel_id: int, run_token: str) -> Iterator[None]:
    """Keep a running lease alive until the block ends; notice if it was lost or could not be renewed.

    A beat that meets a database error closes its connection (one the server dropped stays broken
    otherwise) and tries again at the next beat.
    """
    stop = threading.Event()
    lease = _Lease(until=time.monotonic() + settings.LEASE_SECONDS)

    def beat() -> None:
        while not stop.wait(settings.LEASE_SECONDS / 3):
            asked = time.monotonic()
            try:
                renewed = Channel.objects.filter(id=channel_id, lease_owner=run_token).update(
                    lease_expires_at=timezone.now() + lease_length()
                )
            except DatabaseError:  # busy, or the server went away: reconnect at the next beat
                connections.close_all()
                continue
            if not renewed:
                lease.lost.set()
                break
            lease.until = asked + settings.LEASE_SECONDS
        connections.close_all()

    thread = threading.Thread(target=beat, name=f"lease-{channel_id}", daemon=True)
    thread.start()
    marker = _held.set(lease)
    try:
        yield
    finally:
        _held.reset(marker)
        stop.set()
        thread.join()


def release(channel_id: int, owner: str, *, run_again_at: datetime | None = None) -> None:
    """Give a lease back; optionally bring the next run forward or push it back."""
    changes: dict = {"lease_owner": "", "lease_expires_at": None, "last_run_at": timezone.now()}
    if run_again_at is not None:
        changes["next_run_at"] = run_again_at
    Channel.objects.filter(id=channel_id, lease_owner=owner).update(**changes)
