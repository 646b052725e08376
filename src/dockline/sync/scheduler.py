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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
    """Another worker took this job over (our lease expired): stop before the next side effect."""


_lost: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("lease_lost", default=None)


def ensure_lease() -> None:
    """Called before each side effect (upload, post, push); a no-op outside a leased job."""
    lost = _lost.get()
    if lost is not None and lost.is_set():
        raise LeaseLost("the lease on this job expired and another worker took it over")


@contextmanager
def heartbeat(channel_id: int, run_token: str) -> Iterator[None]:
    """Keep a running lease alive until the block ends; notice if it was lost."""
    stop, lost = threading.Event(), threading.Event()

    def beat() -> None:
        while not stop.wait(settings.LEASE_SECONDS / 3):
            try:
                renewed = Channel.objects.filter(id=channel_id, lease_owner=run_token).update(
                    lease_expires_at=timezone.now() + lease_length()
                )
            except DatabaseError:  # busy or briefly unreachable: the next beat tries again
                continue
            if not renewed:
                lost.set()
                break
        connections.close_all()

    thread = threading.Thread(target=beat, name=f"lease-{channel_id}", daemon=True)
    thread.start()
    marker = _lost.set(lost)
    try:
        yield
    finally:
        _lost.reset(marker)
        stop.set()
        thread.join()


def release(channel_id: int, owner: str, *, run_again_at: datetime | None = None) -> None:
    """Give a lease back; optionally bring the next run forward or push it back."""
    changes: dict = {"lease_owner": "", "lease_expires_at": None, "last_run_at": timezone.now()}
    if run_again_at is not None:
        changes["next_run_at"] = run_again_at
    Channel.objects.filter(id=channel_id, lease_owner=owner).update(**changes)
