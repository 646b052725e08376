"""What a person decides about held orders: release now, or hold longer. Refusals say why in plain words."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from dockline.core.activity import Actor
from dockline.orders.actions import ActionRefused, Who
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.rules import holds

MAX_EXTENSION = 60 * 24 * 30  # minutes


def release(order: Order, by: Who, now: datetime | None = None) -> None:
    """Let a held (Pending) order go on to the warehouse at the next orders run."""
    if order.status != S.PENDING:
        raise ActionRefused(f"#{order.number} is {order.get_status_display()}; only Pending orders can be released.")
    holds.release(order, Actor.of(by), now or timezone.now())


def extend(order: Order, by: Who, minutes: int, now: datetime | None = None) -> datetime:
    """Hold a Pending order `minutes` longer; returns when it now releases."""
    if order.status != S.PENDING or holds.open_hold(order) is None:
        raise ActionRefused(f"#{order.number} is {order.get_status_display()}; only held orders can be extended.")
    if not 1 <= minutes <= MAX_EXTENSION:
        raise ActionRefused(f"Extend by 1 to {MAX_EXTENSION} minutes (30 days).")
    return holds.extend(order, Actor.of(by), minutes, now or timezone.now())
