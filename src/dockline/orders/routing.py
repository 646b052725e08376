"""Decide which of a connection's warehouses ships an order: route it whole, or split it by availability.

A routed order has parts (`OrderPart`): one per warehouse, with the store units of each line that
warehouse ships; `orders/parts.py` sends them. An order without parts goes whole to the connection's
first warehouse, as before. Availability is the stock each warehouse last reported, less the units
already sent to it since that count (`orders/inflight.py`). Rules call `route_to_warehouse` and
`split_by_availability`; `route_orders` applies the connection's own routing setting to queued orders.
"""
from __future__ import annotations

from django.db import transaction

from dockline.connections.models import Connection, Routing
from dockline.connections.services import ActionRefused
from dockline.core.activity import SYSTEM, Actor, Event
from dockline.inventory.models import StockLevel
from dockline.mapping.services import Mapper
from dockline.orders.inflight import units_sent_since
from dockline.orders.models import Order, OrderLine, OrderPart, OrderPartLine
from dockline.orders.status import OrderStatus as S
from dockline.warehouses.models import Warehouse

# Not yet at any warehouse: where it goes can still change.
ROUTABLE = {S.NEW, S.QUEUED, S.DELAYED, S.ERROR}


def route_to_warehouse(order: Order, warehouse: Warehouse, *, actor: Actor = SYSTEM) -> OrderPart:
    """Send the whole order to `warehouse` (one of its connection's); replaces an earlier routing."""
    _check_routable(order, [warehouse])
    lines = list(order.lines.all())
    with transaction.atomic():
        part = _replace_parts(order, {warehouse.pk: {line.pk: line.quantity for line in lines}})[0]
        order.log(f"Routed to warehouse {warehouse.name}.", actor=actor, event=Event.ROUTED)
    return part


def split_by_availability(order: Order, *, actor: Actor = SYSTEM) -> list[OrderPart]:
    """Give each warehouse what it can ship of the order, in the connection's warehouse order.

    When one warehouse holds every line, it gets the whole order. Otherwise each line's units go to the
    first warehouses that hold them (a line may be split); units no warehouse holds go to the first
    warehouse, which ships them when it can.
    """
    warehouses = order.connection.warehouses()
    _check_routable(order, warehouses)
    lines = list(order.lines.all())
    needs = _components(order, lines)
    holder = holding_warehouse(order, needs=needs)
    if holder is not None:
        return [route_to_warehouse(order, holder, actor=actor)]
    stock = available_units(warehouses, {c["sku"] for comps in needs.values() for c in comps})
    plan: dict[int, dict[int, int]] = {w.pk: {} for w in warehouses}
    for line in lines:
        left = line.quantity
        for warehouse in warehouses:
            net = stock[warehouse.pk]
            can = min(left, min(net.get(c["sku"], 0) // c["quantity"] for c in needs[line.pk]))
            if can > 0:
                plan[warehouse.pk][line.pk] = can
                for c in needs[line.pk]:
                    net[c["sku"]] -= c["quantity"] * can
                left -= can
        if left:
            first = plan[warehouses[0].pk]
            first[line.pk] = first.get(line.pk, 0) + left
    plan = {pk: units for pk, units in plan.items() if units}
    names = {w.pk: w.name for w in warehouses}
    by_id = {line.pk: line for line in lines}
    with transaction.atomic():
        parts = _replace_parts(order, plan)
        said = "; ".join(f"{names[pk]}: " + ", ".join(f"{q} × {by_id[lid].sku}" for lid, q in units.items())
                         for pk, units in plan.items())
        order.log(f"Split by availability across {len(parts)} warehouse(s): {said}.", actor=actor, event=Event.ROUTED)
    return parts


def holding_warehouse(order: Order, *, needs: dict[int, list[dict]] | None = None) -> Warehouse | None:
    """The first of the connection's warehouses whose last reported stock covers every line; None if none does."""
    warehouses = order.connection.warehouses()
    lines = list(order.lines.all())
    needs = needs if needs is not None else _components(order, lines)
    wanted: dict[str, int] = {}
    for line in lines:
        for c in needs[line.pk]:
            wanted[c["sku"]] = wanted.get(c["sku"], 0) + c["quantity"] * line.quantity
    stock = available_units(warehouses, set(wanted))
    for warehouse in warehouses:
        if all(stock[warehouse.pk].get(sku, 0) >= qty for sku, qty in wanted.items()):
            return warehouse
    return None


def available_units(warehouses: list[Warehouse], skus: set[str]) -> dict[int, dict[str, int]]:
    """By warehouse id and warehouse SKU: the last reported available units less those sent since, at least 0."""
    result: dict[int, dict[str, int]] = {}
    for warehouse in warehouses:
        levels = list(StockLevel.objects.filter(warehouse=warehouse, sku__in=skus))
        sent = units_sent_since(warehouse, {lv.sku: lv.as_of or lv.updated_at for lv in levels})
        result[warehouse.pk] = {lv.sku: max(lv.available - sent.get(lv.sku, 0), 0) for lv in levels}
    return result


def route_orders(connection: Connection) -> dict:
    """Route every queued, not yet routed order by the connection's routing setting (several warehouses only)."""
    if connection.routing == Routing.FIRST or not connection.other_warehouses.exists():
        return {}
    counts = {"routed": 0, "split": 0}
    waiting = (Order.objects.filter(connection=connection, status=S.QUEUED, parts__isnull=True,
                                    dispatches__isnull=True).select_related("connection__warehouse")
               .order_by("placed_at", "id"))
    for order in waiting:
        try:
            if connection.routing == Routing.SPLIT:
                parts = split_by_availability(order)
                counts["split" if len(parts) > 1 else "routed"] += 1
            else:
                route_to_warehouse(order, holding_warehouse(order) or connection.warehouse)
                counts["routed"] += 1
        except ActionRefused as exc:  # it goes whole to the first warehouse, as without routing
            order.log(f"Not routed: {exc} It goes to warehouse {connection.warehouse.name}.", level="warning",
                      event=Event.WARNING)
    return counts


def _check_routable(order: Order, warehouses: list[Warehouse]) -> None:
    if order.status not in ROUTABLE or order.dispatches.exists():
        raise ActionRefused(f"Order #{order.number} is already at a warehouse ({S(order.status).label}); "
                            "it can no longer be routed.")
    mine = {w.pk for w in order.connection.warehouses()}
    for warehouse in warehouses:
        if warehouse.pk not in mine:
            raise ActionRefused(f"Warehouse {warehouse.name} does not serve connection {order.connection.name}: "
                                "add it to the connection's warehouses first.")


def _components(order: Order, lines: list[OrderLine]) -> dict[int, list[dict]]:
    """Each line's warehouse SKUs per unit (as mapped, else through the listings now); refuses unmapped lines."""
    mapper = None
    needs = {}
    for line in lines:
        comps = line.components
        if not comps:
            mapper = mapper or Mapper.for_connection(order.connection)
            comps = mapper.components(line.sku) if line.sku else None
        if not comps:
            raise ActionRefused(f"SKU {line.sku or line.name} of order #{order.number} is not mapped, so no "
                                "warehouse's stock can be checked for it: add a listing first.")
        needs[line.pk] = comps
    return needs


def _replace_parts(order: Order, plan: dict[int, dict[int, int]]) -> list[OrderPart]:
    """Drop the order's parts and create one per warehouse id in `plan` with its store units by line id."""
    order.parts.all().delete()
    parts = []
    for warehouse_id, units in plan.items():
        part = OrderPart.objects.create(order=order, warehouse_id=warehouse_id)
        OrderPartLine.objects.bulk_create(
            OrderPartLine(part=part, order_line_id=line_id, quantity=qty) for line_id, qty in units.items()
        )
        parts.append(part)
    return parts
