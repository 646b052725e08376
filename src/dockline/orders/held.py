"""Orders a missing mapping holds: what needs mapping, and releasing them once it is mapped."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from dockline.connections.models import Connection
from dockline.connections.services import sync_now
from dockline.mapping.services import Mapper
from dockline.orders.models import Order
from dockline.orders.services import prepare_orders
from dockline.orders.status import OrderStatus

RECENT = timedelta(days=30)


@dataclass
class Unmapped:
    """A store SKU or shipping method seen in recent Error orders that nothing maps, and the orders it holds."""

    connection: Connection
    kind: str  # "sku" | "shipping"
    value: str
    orders: int
    example: str = ""  # an item name, to recognise the SKU


def needs_mapping(connections, since=None) -> list[Unmapped]:
    """SKUs and shipping methods in Error orders placed since `since` (default 30 days) that have no mapping."""
    since = since or timezone.now() - RECENT
    found: list[Unmapped] = []
    for connection in connections:
        held = Order.objects.filter(connection=connection, status=OrderStatus.ERROR, placed_at__gte=since)
        if not held.exists():
            continue
        mapper = Mapper.for_connection(connection)
        skus: dict[str, list] = {}
        methods: dict[str, set] = {}
        for order in held.prefetch_related("lines"):
            for line in order.lines.all():
                if line.sku and mapper.components(line.sku) is None:
                    entry = skus.setdefault(line.sku, [set(), line.name])
                    entry[0].add(order.id)
            for dest in order.destinations:
                method = dest.get("shipping_method", "")
                if mapper.shipping(method) is None:
                    methods.setdefault(method, set()).add(order.id)
        found += [Unmapped(connection, "sku", sku, len(ids), name) for sku, (ids, name) in sorted(skus.items())]
        found += [Unmapped(connection, "shipping", m, len(ids)) for m, ids in sorted(methods.items())]
    return found


def release_held_orders(connection: Connection) -> dict:
    """Map the orders a missing mapping held, and run the orders channel at once for those now queued."""
    counts = prepare_orders(connection)
    if counts["queued"]:
        sync_now(connection, "orders")
    return counts
