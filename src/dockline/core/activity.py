"""Who acted and what happened, as data for activity entries (an order's history, and later the API).

It lives in core because every layer writes activity: the warehouses layer logs a rejected file on
the orders it held, without importing orders.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models


class ActorKind(models.TextChoices):
    USER = "user", "A person"
    API_KEY = "api_key", "An API key"
    RULE = "rule", "A rule"
    SYSTEM = "system", "Dockline"


class Event(models.TextChoices):
    """What an activity entry records; one per kind of sentence Dockline writes."""

    IMPORTED = "imported", "Imported from the store"
    QUEUED = "queued", "Mapped and queued"
    ROUTED = "routed", "Routed to a warehouse"
    SENT = "sent", "Sent to the warehouse"
    REJECTED = "rejected", "Rejected by the warehouse"
    WAITING = "waiting", "Waiting on the warehouse's setup"
    SHIPPED = "shipped", "Shipped"
    POSTED = "posted", "Tracking posted to the store"
    CLOSED = "closed", "Closed"
    ERROR = "error", "Stopped"
    DELAYED = "delayed", "Delayed"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    CANCEL_REQUESTED = "cancel_requested", "Cancellation sent to the warehouse"
    SKIPPED = "skipped", "Skipped"
    REPROCESSED = "reprocessed", "Reprocessed"
    RESET = "reset", "Reset"
    ARCHIVED = "archived", "Archived"
    HELD = "held", "Held"
    RELEASED = "released", "Released"
    BUNDLED = "bundled", "Bundled"
    ABANDONED = "abandoned", "Abandoned"
    CHANGED = "changed", "Changed in the store"
    RULE = "rule", "A rule acted"
    WARNING = "warning", "Warning"
    NOTE = "note", "Note"


SYSTEM_LABEL = "Dockline"


@dataclass(frozen=True)
class Actor:
    """Who acted: the kind, the name as it was then, and the user when a person with an account acted."""

    kind: ActorKind
    label: str
    user: Any = None  # the AUTH_USER_MODEL instance, for ActorKind.USER

    @classmethod
    def of(cls, who) -> Actor:
        """An Actor as given, a user (with an account), or a person known only by name (a script, a test)."""
        if isinstance(who, Actor):
            return who
        if isinstance(who, str):
            return cls(ActorKind.USER, who)
        return cls(ActorKind.USER, who.get_username(), who)


SYSTEM = Actor(ActorKind.SYSTEM, SYSTEM_LABEL)
