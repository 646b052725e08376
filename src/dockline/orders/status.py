"""Order statuses and the one table of allowed transitions."""
from __future__ import annotations

from django.db import models


class OrderStatus(models.TextChoices):
    NEW = "new", "New"
    QUEUED = "queued", "Queued"
    OPEN = "open", "Open"
    CANCEL_REQUESTED = "cancel_requested", "Cancel Requested"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially Shipped"
    SHIPPED = "shipped", "Shipped"
    CLOSED = "closed", "Closed"
    DELAYED = "delayed", "Delayed"
    ERROR = "error", "Error"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    SKIPPED = "skipped", "Skipped"
    ARCHIVED = "archived", "Archived"
    PENDING = "pending", "Pending"
    BUNDLED = "bundled", "Bundled"
    ABANDONED = "abandoned", "Abandoned"


S = OrderStatus

EXPLANATIONS = {
    S.NEW: "Imported from the store; not yet checked.",
    S.QUEUED: "Checked and mapped; waiting to be sent to the warehouse.",
    S.OPEN: "In the warehouse's hands; waiting for it to ship.",
    S.CANCEL_REQUESTED: "Dockline asked the warehouse to cancel it; waiting for the warehouse's answer.",
    S.PARTIALLY_SHIPPED: "The warehouse shipped some of the items.",
    S.SHIPPED: "Every item shipped; tracking is on its way to the store.",
    S.CLOSED: "Shipped, and the tracking is in the store.",
    S.DELAYED: "A step failed for a passing reason; Dockline will retry it.",
    S.ERROR: "Stopped: something needs fixing (the activity log says what).",
    S.FAILED: "Retries ran out; reprocess it once the cause is fixed.",
    S.CANCELED: "Cancelled by the merchant or the customer; nothing will be sent.",
    S.SKIPPED: "Not for this warehouse; nothing will be done.",
    S.ARCHIVED: "Put away by a user; no further work.",
    S.PENDING: "Held before the warehouse (an edit window or a rule); it goes on when the hold is released.",
    S.BUNDLED: "Combined into another order to the same customer and address; it ships in that order's box.",
    S.ABANDONED: "Open at the warehouse too long without shipping; check with the warehouse, then reset it.",
}

_ACTIVE = {S.NEW, S.QUEUED, S.OPEN, S.CANCEL_REQUESTED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELAYED, S.ERROR, S.FAILED,
           S.SKIPPED, S.PENDING, S.BUNDLED, S.ABANDONED}
# Not yet in the warehouse's hands: the merchant or the customer can still cancel.
_CANCELABLE = {S.NEW, S.QUEUED, S.DELAYED, S.ERROR, S.FAILED, S.PENDING}

TRANSITIONS: dict[OrderStatus, set[OrderStatus]] = {
    S.NEW: {S.QUEUED, S.ERROR, S.SKIPPED, S.PENDING, S.BUNDLED},
    # Back to New when the store changed the order before it went out: it is mapped again.
    # Queued/Delayed -> Cancel Requested: a cancelled order whose file may have reached the warehouse.
    S.QUEUED: {S.OPEN, S.DELAYED, S.ERROR, S.FAILED, S.QUEUED, S.NEW, S.SKIPPED, S.PENDING, S.BUNDLED,
               S.CANCEL_REQUESTED},
    S.DELAYED: {S.QUEUED, S.OPEN, S.DELAYED, S.FAILED, S.ERROR, S.SKIPPED, S.PENDING, S.CANCEL_REQUESTED},
    # Open -> Canceled: the warehouse cancelled it on its own ("cancelled at warehouse").
    S.OPEN: {S.PARTIALLY_SHIPPED, S.SHIPPED, S.ABANDONED, S.CANCEL_REQUESTED, S.CANCELED},
    # The warehouse answers "cancelled" (Canceled) or "too late" (back to Open, or Shipped when its shipment came).
    S.CANCEL_REQUESTED: {S.CANCELED, S.OPEN, S.PARTIALLY_SHIPPED, S.SHIPPED},
    S.PENDING: {S.NEW, S.SKIPPED, S.BUNDLED},  # released to New: mapped again with the store's latest changes
    S.BUNDLED: {S.PARTIALLY_SHIPPED, S.SHIPPED},  # ships in the box of the order it was bundled into
    # Still in the warehouse's hands: a cancellation is asked of the warehouse as for an Open order.
    S.ABANDONED: {S.NEW, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCEL_REQUESTED, S.CANCELED},
    S.PARTIALLY_SHIPPED: {S.PARTIALLY_SHIPPED, S.SHIPPED},
    S.SHIPPED: {S.CLOSED},
    S.ERROR: {S.NEW, S.QUEUED, S.ERROR},
    S.FAILED: {S.NEW},
    S.CANCELED: set(),  # final: a cancelled order is never sent
    S.SKIPPED: {S.NEW},
    S.CLOSED: set(),
    S.ARCHIVED: {S.NEW},
}
for _status in _CANCELABLE:
    TRANSITIONS[_status] = TRANSITIONS[_status] | {S.CANCELED}
for _status in _ACTIVE | {S.CLOSED, S.CANCELED}:
    TRANSITIONS[_status] = TRANSITIONS[_status] | {S.ARCHIVED}

# In the warehouse's hands: a cancellation must be sent to the warehouse and answered (Cancel Requested).
AT_WAREHOUSE = {S.OPEN, S.ABANDONED}
# Not yet sent: a cancellation needs no answer from the warehouse (straight to Canceled).
BEFORE_WAREHOUSE = frozenset(_CANCELABLE)
# Statuses an order can be sent back to New from (the Reset action). Not Canceled: nothing is sent for it.
RESETTABLE = {S.ERROR, S.FAILED, S.SKIPPED, S.ARCHIVED, S.DELAYED, S.QUEUED, S.ABANDONED}
# Statuses in which a warehouse shipment can arrive (late files are still recorded; a shipment for an order
# whose cancellation is awaited means the cancellation came too late).
SHIPPABLE = {S.OPEN, S.CANCEL_REQUESTED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELAYED, S.QUEUED, S.BUNDLED, S.ABANDONED}


class InvalidTransition(Exception):
    pass


def check_transition(current: str, new: str) -> None:
    if OrderStatus(new) not in TRANSITIONS[OrderStatus(current)]:
        raise InvalidTransition(f"an order cannot go from {S(current).label} to {S(new).label}")
