"""Orders: the dashboard's filtered list (keyset cursor), one order in full, create (Manual stores), actions.

The list's filters and search are the dashboard's own (`web/order_list.py`); the actions are the
dashboard's (`orders/actions.py`: reprocess, reset, archive, cancel) and the held-orders page's
(`rules/decisions.py`: hold, release).
"""
from __future__ import annotations

from datetime import date

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from dockline.api import cursor as keyset
from dockline.api import scope
from dockline.api.schemas import AbandonedOut, HeldOut, HoldIn, OrderDetail, OrderIn, OrderOut, OrderPage
from dockline.core.types import Address
from dockline.orders import actions, manual
from dockline.orders.status import OrderStatus
from dockline.rules import decisions
from dockline.rules.abandoned import abandoned_orders
from dockline.rules.actions import hold_until
from dockline.rules.holds import held_orders
from dockline.web import order_list
from dockline.web import scope as web_scope

router = Router(tags=["orders"])


class OrderFilters(Schema):
    status: OrderStatus | None = None
    connection: int | None = None
    store: int | None = None
    since: date | None = None
    until: date | None = None
    q: str | None = Field(None, description="an order number, customer email, store SKU or tracking number, or the "
                                            "start of the customer's name")
    cursor: str | None = None
    limit: int = 50


def filtered(key, f: OrderFilters):
    """The dashboard's filters and search (`web/order_list.py`), plus the connection."""
    given = {"status": f.status.value if f.status else "", "store": str(f.store or ""),
             "since": f.since.isoformat() if f.since else "", "until": f.until.isoformat() if f.until else "",
             "q": (f.q or "").strip()}
    orders = order_list.apply_filters(order_list.visible_orders(key), given)
    return orders.filter(connection_id=f.connection) if f.connection else orders


@router.get("/orders", response=OrderPage)
def list_orders(request, filters: Query[OrderFilters]):
    items, next_cursor = keyset.page(filtered(request.auth, filters), "placed_at", filters.cursor,
                                     max(1, min(filters.limit, keyset.MAX_LIMIT)))
    return {"items": items, "next_cursor": next_cursor}


@router.get("/orders/held", response=list[HeldOut])
def list_held(request):
    """The Held orders page: Pending orders with what holds them and until when, soonest release first."""
    return held_orders(web_scope.connections(request.auth))


@router.get("/orders/abandoned", response=list[AbandonedOut])
def list_abandoned(request):
    """The Abandoned orders page: open at the warehouse too long without shipping, longest waiting first.
    Reset one (`POST /orders/{id}/reset`) to send it again."""
    return abandoned_orders(web_scope.connections(request.auth))


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


@router.post("/orders/{order_id}/hold", response=OrderOut, operation_id="hold_order")
def hold_order(request, order_id: int, body: HoldIn):
    """Keep a New, Queued or Delayed order back (Pending): for a `duration`, `until` a time, or, with neither,
    for review (until a person releases it)."""
    order = scope.order(request.auth, order_id)
    now = timezone.now()
    if body.duration and body.until:
        raise ValueError("Give a duration or a time to hold until, not both.")
    until = hold_until(body.duration, now) if body.duration else body.until
    decisions.hold(order, request.auth.actor, until, now)
    order.refresh_from_db()
    return order


@router.post("/orders/{order_id}/release", response=OrderOut, operation_id="release_order")
def release_order(request, order_id: int):
    """Let a held (Pending) order go on: back to New, mapped and sent on the next orders run."""
    order = scope.order(request.auth, order_id)
    decisions.release(order, request.auth.actor)
    order.refresh_from_db()
    return order
