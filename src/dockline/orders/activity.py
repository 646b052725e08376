"""Reading an order's history by who acted and what happened, and the event each status move records."""
from __future__ import annotations

from django.db import models

from dockline.core.activity import ActorKind, Event
from dockline.orders.status import OrderStatus as S

# The event a move into each status records, unless the caller names another (a person's Reprocess is
# recorded as Reprocessed, not Reset).
EVENT_OF_STATUS: dict[S, Event] = {
    S.NEW: Event.RESET,
    S.QUEUED: Event.QUEUED,
    S.OPEN: Event.SENT,
    S.CANCEL_REQUESTED: Event.CANCEL_REQUESTED,
    S.PARTIALLY_SHIPPED: Event.SHIPPED,
    S.SHIPPED: Event.SHIPPED,
    S.CLOSED: Event.CLOSED,
    S.DELAYED: Event.DELAYED,
    S.ERROR: Event.ERROR,
    S.FAILED: Event.FAILED,
    S.CANCELED: Event.CANCELED,
    S.SKIPPED: Event.SKIPPED,
    S.ARCHIVED: Event.ARCHIVED,
    S.PENDING: Event.HELD,
    S.BUNDLED: Event.BUNDLED,
    S.ABANDONED: Event.ABANDONED,
}


class ActivityQuerySet(models.QuerySet):
    """`Activity.objects.for_order(order).by_actor(ActorKind.USER).of_event(Event.RESET)`."""

    def for_order(self, order) -> ActivityQuerySet:
        return self.filter(order=order)

    def by_actor(self, *kinds: ActorKind) -> ActivityQuerySet:
        return self.filter(actor_kind__in=kinds)

    def by_user(self, user) -> ActivityQuerySet:
        return self.filter(actor_kind=ActorKind.USER, user=user)

    def of_event(self, *events: Event) -> ActivityQuerySet:
        return self.filter(event__in=events)
