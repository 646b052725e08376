"""What a person decides about holding orders: hold one, release it now, or hold it longer. Refusals say why
in plain words."""
from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from dockline.core.activity import Actor
from dockline.orders.actions import ActionRefused, Who
from dockline.orders.models import Order
from dockline.orders.status import TRANSITIONS
from dockline.orders.status import OrderStatus as S
from dockline.rules import holds

MAX_EXTENSION = 60 * 24 * 30  # minutes
HOLDABLE = [s for s in S if S.PENDING in TRANSITIONS[s]]  # read from the transition table


def hold(order: Order, by: Who, until: datetime | None, now: datetime | None = None) -> None:
    """Keep an order not yet sent back (Pending) until `until`, or until a person releases it (`until` None)."""
    now = now or timezone.now()
    until = until.astimezone(UTC) if until else None  # the activity and the pages say UTC
    if S(order.status) not in HOLDABLE or holds.open_hold(order) is not None:
        raise ActionRefused(f"#{order.number} is {order.get_status_display()}; only "
                            f"{', '.join(s.label for s in HOLDABLE)} orders can be held.")
    if until is not None and until <= now:
        raise ActionRefused(f"{until:%Y-%m-%d %H:%M} UTC has passed; hold until a later time.")
    actor = Actor.of(by)
    holds.hold(order, until=until, reason=actor.label, actor=actor, now=now)


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
