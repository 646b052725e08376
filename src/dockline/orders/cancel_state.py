"""The life of one order's cancellation, and the one table of its allowed moves.

An order's status says where the order is (Cancel Requested while the warehouse has not answered);
this says where the cancellation is: written and not yet sent, sent, or answered.
"""
from __future__ import annotations

from django.db import models


class CancelOrigin(models.TextChoices):
    STORE = "store", "Cancelled in the store"
    PERSON = "person", "Cancelled by a person in Dockline"
    WAREHOUSE = "warehouse", "Cancelled at the warehouse"


class CancelState(models.TextChoices):
    REQUESTED = "requested", "To send to the warehouse"
    SENT = "sent", "Sent; waiting for the warehouse's answer"
    CANCELLED = "cancelled", "Cancelled"
    TOO_LATE = "too_late", "Too late: it had shipped"


C = CancelState

EXPLANATIONS = {
    C.REQUESTED: "The order is at the warehouse; the next orders run sends the cancellation.",
    C.SENT: "The cancellation is in the warehouse's inbox; its answer comes with the shipments run.",
    C.CANCELLED: "Nothing of the order ships.",
    C.TOO_LATE: "The warehouse had already shipped it; its shipment flows to the store as usual.",
}

TRANSITIONS: dict[CancelState, set[CancelState]] = {
    # A shipment (or an answer) can come before the cancellation file is confirmed sent.
    C.REQUESTED: {C.SENT, C.CANCELLED, C.TOO_LATE},
    C.SENT: {C.CANCELLED, C.TOO_LATE},
    C.CANCELLED: set(),
    C.TOO_LATE: set(),
}


def check_transition(current: str, new: str) -> None:
    if CancelState(new) not in TRANSITIONS[CancelState(current)]:
        raise ValueError(f"a cancellation cannot go from {C(current).label} to {C(new).label}")
