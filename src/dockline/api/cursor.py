"""Keyset paging: a page is the rows after an opaque cursor in a fixed order (a timestamp, then the id).

Unlike offsets, rows added or removed while a client pages never make it skip or repeat one: the next
page starts after the last row it saw, wherever that row now stands.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime

from django.db.models import Q, QuerySet

MAX_LIMIT = 200


class BadCursor(ValueError):
    """The cursor was not made by this API (or was cut short)."""


def encode(at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), pk]).encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        at, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(at), int(pk)
    except (ValueError, TypeError) as exc:
        raise BadCursor("The cursor is not one this API gave; start again without it.") from exc


def page(rows: QuerySet, field: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """Up to `limit` rows newest first by (`field`, id) after `cursor`, and the cursor of the next page (None at the end)."""
    rows = rows.order_by(f"-{field}", "-id")
    if cursor:
        at, pk = decode(cursor)
        rows = rows.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "id__lt": pk}))
    found = list(rows[: limit + 1])
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    return found[:limit], encode(getattr(last, field), last.id)
