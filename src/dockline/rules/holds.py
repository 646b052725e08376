"""Holds: orders kept back (Pending) before the warehouse, by the edit window or a rule, and their release.

A released order goes back to New, so it is checked and mapped again with whatever the store changed
while it waited (`orders/changes.py` applies those changes on import).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from dockline.connections.models import Connection
from dockline.core.activity import SYSTEM, Actor, Event
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.rules.models import Hold, Rule

EDIT_WINDOW = "the edit window"


def hold(order: Order, *, until: datetime | None, reason: str, actor: Actor, now: datetime,
         rule: Rule | None = None) -> Hold:
    """Keep the order back (Pending) until `until`, or until a person releases it (`until` None)."""
    when = f"until {until:%Y-%m-%d %H:%M} UTC" if until else "until a person releases it"
    with transaction.atomic():
        held = Hold.objects.create(order=order, rule=rule, reason=reason, until=until, created_at=now)
        order.move_to(S.PENDING, f"Held by {reason} {when}.", actor=actor)
    return held


def hold_for_edit_window(order: Order, now: datetime) -> bool:
    """Hold a new order for its connection's edit window; False when the connection has none."""
    minutes = order.connection.hold_minutes
    if not minutes or order.status != S.NEW:
        return False
    hold(order, until=now + timedelta(minutes=minutes), reason=EDIT_WINDOW, actor=SYSTEM, now=now)
    return True


def open_hold(order: Order) -> Hold | None:
    return order.holds.filter(released_at__isnull=True).order_by("-id").first()


def release(order: Order, actor: Actor, now: datetime, *, why: str = "") -> None:
    """End the order's hold: back to New, to be mapped and sent on the next orders run."""
    with transaction.atomic():
        Hold.objects.filter(order=order, released_at__isnull=True).update(released_at=now, released_by=actor.label)
        order.move_to(S.NEW, why or f"Released by {actor.label}; it goes to the warehouse on the next run.",
                      actor=actor, event=Event.RELEASED)


def release_due_holds(connection: Connection, now: datetime | None = None) -> int:
    """Release every hold of the connection whose time has come; returns how many orders were released."""
    now = now or timezone.now()
    due = (Hold.objects.filter(order__connection=connection, order__status=S.PENDING, released_at__isnull=True,
                               until__lte=now).select_related("order"))
    released = 0
    for held in due:
        release(held.order, SYSTEM, now, why=f"Hold by {held.reason} ended; it goes on to the warehouse.")
        released += 1
    return released


def extend(order: Order, actor: Actor, minutes: int, now: datetime) -> datetime:
    """Hold the order `minutes` longer (from its current end, or from now for a person's hold)."""
    held = open_hold(order)
    start = max(held.until, now) if held.until else now
    held.until = start + timedelta(minutes=minutes)
    held.save(update_fields=["until"])
    order.log(f"Hold extended by {actor.label} until {held.until:%Y-%m-%d %H:%M} UTC.", actor=actor,
              event=Event.HELD)
    return held.until


def held_orders(connections, now: datetime | None = None) -> list[Hold]:
    """The open holds of Pending orders in `connections`, soonest release first (a person's decision last)."""
    rows = list(Hold.objects.filter(order__connection__in=connections, order__status=S.PENDING,
                                    released_at__isnull=True).select_related("order", "order__store", "rule"))
    far = timezone.now() + timedelta(days=36500)
    return sorted(rows, key=lambda h: (h.until or far, h.id))
