"""Orders that never ship: open at the warehouse longer than the connection allows become Abandoned.

The time counts from when the order was last sent (its latest Sent entry). A person resets an Abandoned
order (`orders/actions.py` reset) to send it again; a shipment that still arrives is recorded as usual.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.utils import timezone

from dockline.connections.models import Connection
from dockline.core.activity import Event
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S


def _with_sent_at(orders):
    return orders.annotate(sent_at=Max("activity__at", filter=Q(activity__event=Event.SENT)))


def abandon_stale_orders(connection: Connection, now: datetime | None = None) -> int:
    """Mark Abandoned the connection's orders open at the warehouse for its set days; returns how many."""
    now = now or timezone.now()
    days = connection.abandon_after_days
    if not days:
        return 0
    cutoff = now - timedelta(days=days)
    stale = _with_sent_at(Order.objects.filter(connection=connection, status=S.OPEN)).filter(sent_at__lte=cutoff)
    count = 0
    for order in stale:
        waited = (now - order.sent_at).days
        order.move_to(S.ABANDONED, f"Open at warehouse {connection.warehouse.name} for {waited} days without "
                                   f"shipping (the limit is {days}): ask the warehouse about it, then reset it to "
                                   "send it again.", level="warning")
        count += 1
    return count


@dataclass
class Waiting:
    order: Order
    sent_at: datetime | None
    days: int


def abandoned_orders(connections, now: datetime | None = None) -> list[Waiting]:
    """The Abandoned orders of `connections`, with how long they have waited since they were sent, longest first."""
    now = now or timezone.now()
    rows = _with_sent_at(Order.objects.filter(connection__in=connections, status=S.ABANDONED)
                         .select_related("store", "connection__warehouse")).order_by("sent_at")
    return [Waiting(o, o.sent_at, (now - o.sent_at).days if o.sent_at else 0) for o in rows]
