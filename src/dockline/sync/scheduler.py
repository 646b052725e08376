"""Claim due channel jobs with a lease, so one job runs once at a time wherever it runs."""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from django.db import connection as db, transaction
from django.db.models import F, Q
from django.utils import timezone

from dockline.connections.models import Channel

LEASE = timedelta(minutes=15)


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
    writer can win.
    """
    if limit <= 0:
        return []
    now = now or timezone.now()
    claim = {"lease_owner": owner, "lease_expires_at": now + LEASE, "next_run_at": now + F("interval")}
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


def release(channel_id: int, owner: str, *, run_again_at: datetime | None = None) -> None:
    """Give a lease back; optionally bring the next run forward or push it back."""
    changes: dict = {"lease_owner": "", "lease_expires_at": None, "last_run_at": timezone.now()}
    if run_again_at is not None:
        changes["next_run_at"] = run_again_at
    Channel.objects.filter(id=channel_id, lease_owner=owner).update(**changes)
