"""Publish what happened (an order imported, stopped, sent; a shipment posted; an alert opened or closed).

`publish` is the one call the services make at each milestone: it records an `Event` and one pending
`Delivery` for each enabled endpoint of the organization that wants that kind. Nothing is sent here;
the periodic job (`channels/webhook.py`) sends, signs and retries, so a slow receiver never slows a run.
"""
from __future__ import annotations

from django.db import transaction

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


def publish(organization: Organization | int, kind: str, payload: dict, *, connection: Connection | None = None,
            order=None, endpoints: list[int] | None = None) -> Event | None:
    """Record `kind` with `payload` for every endpoint that wants it (only those of `endpoints`, when given);
    None (nothing kept) when none does.

    `order` (an Order) adds its id and number to the payload; `connection` its id and name."""
    organization_id = organization if isinstance(organization, int) else organization.id
    candidates = Endpoint.objects.filter(organization_id=organization_id, enabled=True)
    if endpoints is not None:
        candidates = candidates.filter(id__in=endpoints)
    wanted = [e for e in candidates if e.wants(kind)]
    if not wanted:
        return None
    body = dict(payload)
    if connection is not None:
        body.setdefault("connection", {"id": connection.id, "name": connection.name})
    if order is not None:
        body.setdefault("order", {"id": order.id, "number": order.number, "external_id": order.external_id,
                                  "status": order.status})
    with transaction.atomic():
        event = Event.objects.create(organization_id=organization_id, kind=kind, payload=body,
                                     connection=connection, order_id=order.id if order is not None else None)
        Delivery.objects.bulk_create([Delivery(endpoint=e, event=event) for e in wanted])
    return event
