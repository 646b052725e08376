"""A connection's run history, paged per channel, and its health: which channels fail right now.

Read beside `web/scope.py`: every function takes a connection the scope already gave. Pages are keyset
cursors on (start time, id), newest first, so an old page costs what the first one does however many
runs a channel has kept.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from dockline.connections.models import ChannelKind, Connection
from dockline.sync.models import SyncRun

PAGE_SIZE = 20


@dataclass(frozen=True)
class RunPage:
    runs: list[SyncRun]
    kind: str  # the channel shown, "" for every channel
    older: int | None  # the cursor of the next (older) page, None on the last page
    first: bool  # whether this is the newest page


def run_history(connection: Connection, *, kind: str = "", before: int | None = None,
                size: int = PAGE_SIZE) -> RunPage:
    """Finished and running runs of one channel (`kind`) or of every channel, newest first, `size` at a time."""
    runs = (SyncRun.objects.filter(channel__connection=connection).select_related("channel")
            .order_by("-started_at", "-id"))
    if kind in ChannelKind.values:
        runs = runs.filter(channel__kind=kind)
    else:
        kind = ""
    cursor = runs.filter(id=before).values_list("started_at", flat=True).first() if before is not None else None
    if cursor is not None:
        runs = runs.filter(Q(started_at__lt=cursor) | Q(started_at=cursor, id__lt=before))
    rows = list(runs[:size + 1])
    older = rows[size - 1].id if len(rows) > size else None
    return RunPage(rows[:size], kind, older, cursor is None)


def failing(rows: list[dict]) -> list[str]:
    """The channels (lower-case labels) that are on and whose last finished run failed, from channel rows."""
    return [row["channel"].get_kind_display().lower() for row in rows
            if row["channel"].enabled and row["last"] is not None and row["last"].ok is False]
