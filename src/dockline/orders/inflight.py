"""Units on their way to a warehouse that its last stock count does not know about yet.

A warehouse reports what it has available at a time (a stock level's `as_of`). An order file
Dockline sent after that time has not been subtracted from that figure: its units are "in flight".
The time an order was sent is when Dockline recorded its file for that warehouse (`Dispatch.created_at`);
only files the warehouse has (Sent or Acknowledged) count, and not orders cancelled since. An order
the warehouse shipped from at or before the count is in that count, whatever the clocks say (a
warehouse's times often have whole seconds only). Orders sent more than `LOOKBACK` ago are taken as
counted: a warehouse that has not counted a SKU for that long has no count worth correcting, and
each inventory run then reads a bounded number of orders.

Orders imported and not sent to any warehouse yet are counted apart (`units_not_sent`): the store has
already lowered its count for them, and no warehouse has.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from dockline.connections.models import Connection
from dockline.orders.models import Dispatch, Order
from dockline.orders.status import BEFORE_WAREHOUSE
from dockline.orders.status import OrderStatus as S
from dockline.warehouses.models import ExchangeState, Warehouse

AT_WAREHOUSE = (ExchangeState.SENT, ExchangeState.ACKNOWLEDGED)
LOOKBACK = timedelta(days=14)


def units_sent_since(warehouse: Warehouse, counted_at: dict[str, datetime]) -> dict[str, int]:
    """Warehouse SKU units in orders sent to `warehouse` after it counted each SKU (`counted_at`, by SKU).

    SKUs the warehouse never counted are left out: there is no count to correct.
    """
    if not counted_at:
        return {}
    oldest = max(min(counted_at.values()), timezone.now() - LOOKBACK)
    dispatches = (
        Dispatch.objects.filter(warehouse=warehouse, created_at__gt=oldest, exchange__state__in=AT_WAREHOUSE)
        .exclude(order__status=S.CANCELED)
        .select_related("order")
        .prefetch_related("order__lines", "order__parts__lines", "order__shipments")
    )
    units: dict[str, int] = {}
    for dispatch in dispatches:
        shipped = [s.shipped_at for s in dispatch.order.shipments.all() if s.warehouse_id == warehouse.pk]
        for sku, qty in dispatch_units(dispatch).items():
            if sku not in counted_at or dispatch.created_at <= counted_at[sku]:
                continue
            if shipped and min(shipped) <= counted_at[sku]:
                continue
            units[sku] = units.get(sku, 0) + qty
    return units


def units_not_sent(connection: Connection, components_of: Callable[[str], list[tuple[str, int]]]) -> dict[str, int]:
    """Warehouse SKU units in the connection's orders imported and not sent to any warehouse yet (held, waiting
    for a mapping or a retry): the store lowered its count when they were placed, and no warehouse knows of
    them. A line not mapped yet counts as `components_of(its store SKU)`."""
    at_warehouse = Dispatch.objects.filter(order=OuterRef("pk"), exchange__state__in=AT_WAREHOUSE)
    orders = (Order.objects.filter(connection=connection, status__in=BEFORE_WAREHOUSE)
              .exclude(Exists(at_warehouse)).prefetch_related("lines"))
    units: dict[str, int] = {}
    for order in orders:
        for line in order.lines.all():
            comps = [(c["sku"], c["quantity"]) for c in line.components] or components_of(line.sku)
            for sku, per in comps:
                units[sku] = units.get(sku, 0) + per * line.quantity
    return units


def dispatch_units(dispatch: Dispatch) -> dict[str, int]:
    """Warehouse SKU units a dispatch asked its warehouse to ship (its destination's lines, or its part's)."""
    order = dispatch.order
    part = next((p for p in order.parts.all() if p.warehouse_id == dispatch.warehouse_id), None)
    of_part = {pl.order_line_id: pl.quantity for pl in part.lines.all()} if part else None
    several = len(order.destinations) > 1
    units: dict[str, int] = {}
    for line in order.lines.all():
        if several and line.destination_ref and line.destination_ref != dispatch.destination_ref:
            continue
        quantity = line.quantity if of_part is None else of_part.get(line.id, 0)
        for comp in line.components:
            units[comp["sku"]] = units.get(comp["sku"], 0) + comp["quantity"] * quantity
    return units
