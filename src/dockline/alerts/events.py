"""Publish what happened (an order imported, stopped, sent; a shipment posted; an alert opened or closed).

`publish` is the one call the services make at each milestone: it records an `Event` and one pending
`Delivery` for each enabled endpoint of the organization that wants that kind. Nothing is sent here;
the periodic job (`channels/webhook.py`) sends, signs and retries, so a slow receiver never slows a run.

Within `endpoints_read_once()` (a channel run's services open it) each organization's endpoints are read
once, not once per event: again after `FRESH_FOR` seconds (so an endpoint added or switched off in another
process counts within seconds), and at once after an endpoint is saved or deleted in this process. An
organization without endpoints then costs no query per order. Inside a caller's transaction the endpoints
are always read afresh.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models.signals import post_delete, post_save

from dockline.accounts.models import Organization
from dockline.alerts.models import Delivery, Endpoint, Event
from dockline.connections.models import Connection

ORDER_IMPORTED = "order.imported"
ORDER_SENT = "order.sent"
ORDER_ERROR = "order.error"
SHIPMENT_POSTED = "shipment.posted"
ALERT_OPENED = "alert.opened"
ALERT_CLOSED = "alert.closed"
KINDS = (ORDER_IMPORTED, ORDER_SENT, ORDER_ERROR, SHIPMENT_POSTED, ALERT_OPENED, ALERT_CLOSED)
FRESH_FOR = 5.0  # seconds a run keeps an organization's endpoints before reading them again

# organization id -> (read at (monotonic), endpoint changes seen then, its enabled endpoints); None outside a run
_read: ContextVar[dict[int, tuple[float, int, list[Endpoint]]] | None] = ContextVar("endpoints_read", default=None)
_changes = [0]  # endpoints saved or deleted in this process


def _endpoint_changed(**_kwargs) -> None:
    _changes[0] += 1


post_save.connect(_endpoint_changed, sender=Endpoint, dispatch_uid="events-endpoint-saved")
post_delete.connect(_endpoint_changed, sender=Endpoint, dispatch_uid="events-endpoint-deleted")


@contextmanager
def endpoints_read_once() -> Iterator[None]:
    """Read each organization's endpoints once for the events published in this block (nested: the outer one's)."""
    if _read.get() is not None:
        yield
        return
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


def _endpoints(organization_id: int) -> tuple[list[Endpoint], bool]:
    """The organization's enabled endpoints, and whether they came from this run's earlier read."""
    kept = _read.get()
    if kept is None or db.in_atomic_block:  # in a caller's transaction a deleted endpoint fails only at its commit
        return list(Endpoint.objects.filter(organization_id=organization_id, enabled=True)), False
    now = time.monotonic()
    read_at, changes, endpoints = kept.get(organization_id, (0.0, -1, []))
    if changes == _changes[0] and now - read_at < FRESH_FOR:
        return endpoints, True
    endpoints = list(Endpoint.objects.filter(organization_id=organization_id, enabled=True))
    kept[organization_id] = (now, _changes[0], endpoints)
    return endpoints, False


def _forget(organization_id: int) -> None:
    kept = _read.get()
    if kept is not None:
        kept.pop(organization_id, None)


def publish(organization: Organization | int, kind: str, payload: dict, *, connection: Connection | None = None,
            order=None, endpoints: list[int] | None = None) -> Event | None:
    """Record `kind` with `payload` for every endpoint that wants it (only those of `endpoints`, when given);
    None (nothing kept) when none does.

    `order` (an Order) adds its id and number to the payload; `connection` its id and name."""
    organization_id = organization if isinstance(organization, int) else organization.id
    candidates, kept = _endpoints(organization_id)
    wanted = [e for e in candidates if (endpoints is None or e.id in endpoints) and e.wants(kind)]
    if not wanted:
        return None
    body = dict(payload)
    if connection is not None:
        body.setdefault("connection", {"id": connection.id, "name": connection.name})
    if order is not None:
        body.setdefault("order", {"id": order.id, "number": order.number, "external_id": order.external_id,
                                  "status": order.status})
    try:
        with transaction.atomic():
            event = Event.objects.create(organization_id=organization_id, kind=kind, payload=body,
                                         connection=connection, order_id=order.id if order is not None else None)
            Delivery.objects.bulk_create([Delivery(endpoint=e, event=event) for e in wanted])
    except IntegrityError:
        if not kept:
            raise
        _forget(organization_id)  # an endpoint kept from the earlier read was deleted since: read them again
        return publish(organization_id, kind, payload, connection=connection, order=order, endpoints=endpoints)
    return event
