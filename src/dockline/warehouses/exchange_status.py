"""Exchange record directions, kinds and states, and the one table of allowed state changes per direction.

A file Dockline sends starts Pending and becomes Sent once it is confirmed on the server; an X12
warehouse's 997 then marks it Acknowledged or Rejected. A file Dockline reads starts Pending while
it is handled and ends Processed, Duplicate or Error (a file that cannot even be read starts in Error;
a copy of a file already read starts as Duplicate). States are changed only through
`ExchangeRecord.move_to` or `ExchangeRecord.objects.move`, both checked against `TRANSITIONS`.
"""
from __future__ import annotations

from django.db import models


class Direction(models.TextChoices):
    OUT = "out", "Sent"
    IN = "in", "Received"


class ExchangeKind(models.TextChoices):
    """What a file holds; the stored values are the channel names, plus "acks" for X12 997 files and
    "cancellations" for cancellation requests and the warehouse's answers."""

    ORDERS = "orders", "Orders"
    SHIPMENTS = "shipments", "Shipments"
    INVENTORY = "inventory", "Inventory"
    ACKS = "acks", "Acknowledgments (997)"
    CANCELLATIONS = "cancellations", "Cancellations"  # sent: requests; received: the warehouse's answers


class ExchangeState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    PROCESSED = "processed", "Processed"
    DUPLICATE = "duplicate", "Duplicate (ignored)"
    ERROR = "error", "Error"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the warehouse"
    REJECTED = "rejected", "Rejected by the warehouse"


E = ExchangeState

EXPLANATIONS = {
    E.PENDING: "Recorded; not yet confirmed on the warehouse's server (sent) or not yet handled (received).",
    E.SENT: "In the warehouse's inbox.",
    E.ACKNOWLEDGED: "The warehouse's 997 accepted the file.",
    E.REJECTED: "The warehouse's 997 rejected the file; the error says why.",
    E.PROCESSED: "Read, and everything in it recorded.",
    E.DUPLICATE: "Same content (or the same shipments) as a file read before; ignored.",
    E.ERROR: "Could not be read, or some rows could not be used; the error says which. Moved to the error folder.",
}

# The states a record of each direction can be created in.
STARTS: dict[Direction, set[ExchangeState]] = {
    Direction.OUT: {E.PENDING},
    Direction.IN: {E.PENDING, E.DUPLICATE, E.ERROR},
}

TRANSITIONS: dict[Direction, dict[ExchangeState, set[ExchangeState]]] = {
    Direction.OUT: {
        # A 997 may answer a file whose sending run died before confirming it: it did arrive.
        E.PENDING: {E.SENT, E.ACKNOWLEDGED, E.REJECTED},
        E.SENT: {E.ACKNOWLEDGED, E.REJECTED},
        # A later 997 for the same group replaces the earlier answer.
        E.ACKNOWLEDGED: {E.ACKNOWLEDGED, E.REJECTED},
        E.REJECTED: {E.ACKNOWLEDGED, E.REJECTED},
    },
    Direction.IN: {
        E.PENDING: {E.PROCESSED, E.DUPLICATE, E.ERROR},
        E.PROCESSED: set(),
        E.DUPLICATE: set(),
        E.ERROR: set(),
    },
}

# What may be tried again, and how. A sent file still Pending is written again by the next run (the same
# file, under the same name); the orders of a Rejected file go out in a new file once reprocessed. A received
# file in Error is not read again as it is: a corrected file (new content) is read as a new record.
RETRYABLE: dict[Direction, set[ExchangeState]] = {
    Direction.OUT: {E.PENDING, E.REJECTED},
    Direction.IN: {E.ERROR},
}


class InvalidExchangeTransition(Exception):
    pass


def check_start(direction: str, state: str) -> None:
    if ExchangeState(state) not in STARTS[Direction(direction)]:
        raise InvalidExchangeTransition(
            f"a {Direction(direction).label.lower()} file cannot start as {E(state).label}")


def check_transition(direction: str, current: str, new: str) -> None:
    allowed = TRANSITIONS[Direction(direction)].get(ExchangeState(current), set())
    if ExchangeState(new) not in allowed:
        raise InvalidExchangeTransition(
            f"a {Direction(direction).label.lower()} file cannot go from {E(current).label} to {E(new).label}")
