"""Alert states, the one table of allowed changes, the conditions a policy can watch, and their defaults."""
from __future__ import annotations

from django.db import models


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"


A = AlertState

EXPLANATIONS = {
    A.OPEN: "Happening now; nobody has said they are on it.",
    A.ACKNOWLEDGED: "Someone is on it (their note says what they do); it closes when the cause clears.",
    A.CLOSED: "The cause cleared (or a person closed it); if it comes back, a new alert opens.",
}

TRANSITIONS: dict[AlertState, set[AlertState]] = {
    A.OPEN: {A.ACKNOWLEDGED, A.CLOSED},
    A.ACKNOWLEDGED: {A.ACKNOWLEDGED, A.CLOSED},  # a second note replaces the first
    A.CLOSED: set(),  # final: a recurrence opens a new alert
}


class InvalidAlertTransition(Exception):
    pass


def check_transition(current: str, new: str) -> None:
    if AlertState(new) not in TRANSITIONS[AlertState(current)]:
        raise InvalidAlertTransition(f"an alert cannot go from {A(current).label} to {A(new).label}")


class Condition(models.TextChoices):
    RUNS_FAILING = "runs_failing", "A channel failed several runs in a row"
    REAUTH = "reauth", "A connection needs re-authorization"
    ORDERS_IN_ERROR = "orders_in_error", "Orders stopped in Error"
    NOT_SENT = "not_sent", "Orders not sent to the warehouse in time"
    NOT_SHIPPED = "not_shipped", "Orders at the warehouse without a shipment (ship-by)"
    FILES_NOT_TAKEN = "files_not_taken", "The warehouse has not taken our files"
    NO_INVENTORY = "no_inventory", "No inventory file from the warehouse"
    STOCK_PUSH_FAILING = "stock_push_failing", "Stock pushes to the store failing"
    WEBHOOKS_STOPPED = "webhooks_stopped", "Store webhooks stopped arriving"
    CREDENTIAL_EXPIRING = "credential_expiring", "A credential is about to expire"


C = Condition

# The threshold of each condition when a policy sets none: (value, unit). docs/alerts.md lists them.
DEFAULTS: dict[Condition, tuple[float, str]] = {
    C.RUNS_FAILING: (3, "runs"),
    C.REAUTH: (0, ""),
    C.ORDERS_IN_ERROR: (1, "orders"),
    C.NOT_SENT: (4, "hours"),
    C.NOT_SHIPPED: (2, "days"),
    C.FILES_NOT_TAKEN: (2, "hours"),
    C.NO_INVENTORY: (24, "hours"),
    C.STOCK_PUSH_FAILING: (2, "runs"),
    C.WEBHOOKS_STOPPED: (6, "hours"),
    C.CREDENTIAL_EXPIRING: (0, ""),  # the platform says when (eBay: 30 days before)
}


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent (or retried)"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up after every retry"


D = DeliveryState

DELIVERY_TRANSITIONS: dict[DeliveryState, set[DeliveryState]] = {
    D.PENDING: {D.PENDING, D.DELIVERED, D.FAILED},  # a failed attempt with retries left stays Pending
    D.DELIVERED: {D.PENDING},  # Redeliver
    D.FAILED: {D.PENDING},  # Redeliver
}


def check_delivery_transition(current: str, new: str) -> None:
    if DeliveryState(new) not in DELIVERY_TRANSITIONS[DeliveryState(current)]:
        raise InvalidAlertTransition(f"a delivery cannot go from {D(current).label} to {D(new).label}")
