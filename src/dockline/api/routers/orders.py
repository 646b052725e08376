"""Orders: the dashboard's filtered list (keyset cursor), one order in full, create (Manual stores), actions."""
from __future__ import annotations

from datetime import date

from django.db.models import Q
from ninja import Query, Router, Schema, Status

from dockline.api import cursor as keyset
from dockline.api import scope
from dockline.api.schemas import OrderDetail, OrderIn, OrderOut, OrderPage
from dockline.core.types import Address
from dockline.orders import actions, manual
from dockline.orders.status import OrderStatus
from dockline.web import scope as web_scope

router = Router(tags=["orders"])


class OrderFilters(Schema):
    status: OrderStatus | None = None
    connection: int | None = None
    store: int | None = None
    since: date | None = None
    until: date | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = 50


def filtered(key, f: OrderFilters):
    """The dashboard's filters (status, store, placed since/until, order number or SKU), plus connection."""
    orders = web_scope.orders(key)
    if f.status:
        orders = orders.filter(status=f.status)
    if f.connection:
        orders = orders.filter(connection_id=f.connection)
    if f.store:
        orders = orders.filter(store_id=f.store)
    if f.since:
        orders = orders.filter(placed_at__date__gte=f.since)
    if f.until:
        orders = orders.filter(placed_at__date__lte=f.until)
    if f.q and f.q.strip().lstrip("#"):
        q = f.q.strip().lstrip("#")
        orders = orders.filter(Q(number__iexact=q) | Q(lines__sku__iexact=q)).distinct()
    return orders


@router.get("/orders", response=OrderPage)
def list_orders(request, filters: Query[OrderFilters]):
    items, next_cursor = keyset.page(filtered(request.auth, filters), "placed_at", filters.cursor,
                                     max(1, min(filters.limit, keyset.MAX_LIMIT)))
    return {"items": items, "next_cursor": next_cursor}


@router.get("/orders/{order_id}", response=OrderDetail)
def get_order(request, order_id: int):
    return detail(scope.order(request.auth, order_id))


def detail(order) -> dict:
    fields = {name: getattr(order, name) for name in OrderOut.model_fields}
    return {**fields, "notes": order.notes, "destinations": order.destinations, "lines": list(order.lines.all()),
            "shipments": list(order.shipments.prefetch_related("packages")), "activity": list(order.activity.all())}


@router.post("/orders", response={201: OrderDetail})
def create_order(request, body: OrderIn):
    conn = scope.connection(request.auth, body.connection)
    ship_to = Address(**{**body.ship_to.model_dump(), "country": body.ship_to.country.upper()})
    order = manual.ManualOrder(
        number=body.number.strip(), ship_to=ship_to, shipping_method=body.shipping_method,
        lines=[manual.ManualLine(sku=line.sku.strip(), quantity=line.quantity, name=line.name,
                                 unit_price=line.unit_price) for line in body.lines],
        customer_email=body.customer_email, notes=body.notes, placed_at=body.placed_at)
    created, skipped = manual.create_orders(conn, [order], request.auth.actor, source="the API")
    if skipped:
        raise actions.ActionRefused(f"#{order.number} is already an order of {conn.merchant.name}; an order number "
                                    "is stored once.")
    return Status(201, detail(created[0]))


def _action(name: str):
    def act(request, order_id: int):
        order = scope.order(request.auth, order_id)
        actions.ACTIONS[name](order, request.auth.actor)
        order.refresh_from_db()
        return order

    act.__name__ = f"{name}_order"
    act.__doc__ = actions.ACTIONS[name].__doc__
    return act


for _name in actions.ACTIONS:
    router.post(f"/orders/{{order_id}}/{_name}", response=OrderOut, operation_id=f"{_name}_order")(_action(_name))
