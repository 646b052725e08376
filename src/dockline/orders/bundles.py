"""Bundles: one warehouse order carrying several store orders to the same customer and address.

The order a bundle rule runs on keeps its number at the warehouse and absorbs the customer's other
open orders (New or Queued) to the same address: they become Bundled. Its pick ticket has the lines of
all of them, and each absorbed order gets a dispatch under the same warehouse order number, so the one
shipment the warehouse reports is recorded for each store order and each gets its own tracking.
Orders on hold (Pending) are not absorbed: their edit window still runs.
"""
from __future__ import annotations

from django.db.models import Q

from dockline.core.activity import Actor
from dockline.mapping.services import Mapper
from dockline.orders.models import Dispatch, Order, OrderLine
from dockline.orders.status import OrderStatus as S
from dockline.warehouses.models import Warehouse

BUNDLEABLE = (S.NEW, S.QUEUED)
_SAME = ("name", "company", "street1", "street2", "city", "state", "postal_code", "country")


def _place(order: Order) -> tuple | None:
    """The one ship-to address, normalised; None for an order with several (it is never bundled)."""
    if len(order.destinations) != 1:
        return None
    address = order.destinations[0].get("address", {})
    return tuple(" ".join(str(address.get(k, "")).split()).casefold() for k in _SAME)


def partners(order: Order):
    """The open orders a bundle on `order` would absorb: same connection, customer email and address."""
    place = _place(order)
    if place is None or not order.customer_email or order.bundled_into_id:
        return []
    candidates = (Order.objects.filter(connection=order.connection, customer_email__iexact=order.customer_email,
                                       status__in=BUNDLEABLE, bundled_into__isnull=True)
                  .exclude(pk=order.pk).order_by("placed_at", "id").prefetch_related("lines"))
    return [o for o in candidates if _place(o) == place]


def absorb_partners(order: Order, actor: Actor, mapper: Mapper) -> list[Order]:
    """Bundle the partners whose every item maps into `order`; returns those absorbed."""
    absorbed = []
    for other in partners(order):
        lines = list(other.lines.all())
        mapped = [mapper.components(line.sku) if line.sku else None for line in lines]
        if not lines or any(m is None for m in mapped):
            continue  # it goes on its own, and stops where it cannot map
        for line, components in zip(lines, mapped, strict=True):
            if line.components != components:
                line.components = components
                line.save(update_fields=["components"])
        Order.objects.filter(bundled_into=other).update(bundled_into=order)
        other.bundled_into = order
        other.save(update_fields=["bundled_into", "updated_at"])
        other.move_to(S.BUNDLED, f"Bundled into #{order.number} by {actor.label}: it ships in that order's box.",
                      actor=actor)
        absorbed.append(other)
    return absorbed


def bundle_lines(order: Order) -> list[OrderLine]:
    """The lines that go in `order`'s warehouse order: its own and those of the orders it absorbed.

    Read afresh (not from a prefetch): a rule may have added or removed a line just before sending."""
    mine = Q(order=order)
    theirs = Q(order__bundled_into=order, order__status=S.BUNDLED)
    lines = OrderLine.objects.filter(mine | theirs).order_by("id")
    return sorted(lines, key=lambda line: (line.order_id != order.pk, line.order_id, line.id))


def add_bundle_dispatches(order: Order, warehouse: Warehouse, number: str, exchange) -> None:
    """Record the absorbed orders under `order`'s warehouse order number, in the same file."""
    for other in Order.objects.filter(bundled_into=order, status=S.BUNDLED).order_by("id"):
        Dispatch.objects.update_or_create(warehouse=warehouse, warehouse_order_number=number, order=other,
                                          defaults={"destination_ref": other.destinations[0]["ref"],
                                                    "exchange": exchange})
