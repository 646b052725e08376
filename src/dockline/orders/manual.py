"""Orders made by hand (the API) or from a CSV upload, for a connection whose store is Manual.

They are stored the way imports are (`store_new_order`: New, lines, an Imported entry naming who made
them) with the merchant's order number as the store's id, so the same number is never stored twice for
a merchant, and the orders channel is made due so they are mapped and sent like any other order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dockline.connections.models import Connection
from dockline.connections.services import sync_now
from dockline.core.activity import Actor
from dockline.core.types import Address, Destination, OrderLine, StoreOrder
from dockline.orders.actions import ActionRefused, Who
from dockline.orders.imports import store_new_order
from dockline.orders.models import Order
from dockline.platforms.manual.connector import PLATFORM


@dataclass
class ManualLine:
    sku: str
    quantity: int
    name: str = ""
    unit_price: Decimal = Decimal("0")


@dataclass
class ManualOrder:
    """One order as a person or a file gives it: one address, one shipping method, its lines."""

    number: str
    ship_to: Address
    shipping_method: str
    lines: list[ManualLine] = field(default_factory=list)
    customer_email: str = ""
    notes: str = ""
    placed_at: datetime | None = None


def check_manual(connection: Connection) -> None:
    """Refuse a connection whose store is a real platform: its orders come from the store."""
    if connection.store.platform != PLATFORM:
        raise ActionRefused(f"{connection.name} imports its orders from its store; orders can be added by hand "
                            "or by CSV only to a connection whose store platform is Manual.")


def existing(connection: Connection, numbers) -> dict[str, int]:
    """{order number: order id} of those numbers the connection's merchant already has as manual orders."""
    return dict(Order.objects.filter(store__merchant=connection.merchant_id, store__platform=PLATFORM,
                                     number__in=list(numbers)).values_list("number", "id"))


def create_orders(connection: Connection, orders: list[ManualOrder], by: Who, *, source: str
                  ) -> tuple[list[Order], list[str]]:
    """Store the orders whose numbers are new for the merchant, all in one transaction; returns them and
    the numbers skipped as already there. `source` says where they came from ("the API", "orders.csv")."""
    check_manual(connection)
    actor = Actor.of(by)
    taken = existing(connection, [o.number for o in orders])
    created, skipped = [], []
    now = timezone.now()
    with transaction.atomic():
        for manual in orders:
            if manual.number in taken:
                skipped.append(manual.number)
                continue
            if store_new_order(connection, _store_order(manual, now), source=f"{source} by {actor.label}",
                               actor=actor):
                created.append(Order.objects.get(store=connection.store, external_id=manual.number))
            else:
                skipped.append(manual.number)
            taken[manual.number] = 0
    if created:
        sync_now(connection, "orders")
    return created, skipped


def _store_order(manual: ManualOrder, now: datetime) -> StoreOrder:
    return StoreOrder(
        external_id=manual.number,
        number=manual.number,
        placed_at=manual.placed_at or now,
        modified_at=now,
        destinations=[Destination(ref="1", address=manual.ship_to, shipping_method=manual.shipping_method)],
        lines=[OrderLine(line_id=str(n), sku=line.sku, quantity=line.quantity, name=line.name,
                         unit_price=line.unit_price, destination_ref="1")
               for n, line in enumerate(manual.lines, start=1)],
        customer_email=manual.customer_email,
        notes=manual.notes,
        raw={"source": "manual"},
    )
