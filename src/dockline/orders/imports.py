"""Import orders from a store: new ones stored once, whoever brings them (a poll, a webhook, a backfill, a person)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from dockline.alerts import events
from dockline.connections.models import ChannelKind, Connection
from dockline.core.activity import SYSTEM, Actor, Event
from dockline.core.types import StoreOrder
from dockline.orders.cancellations import cancel_from_store
from dockline.orders.changes import apply_store_changes
from dockline.orders.models import Order, OrderLine
from dockline.platforms.base import StoreConnector
from dockline.rules.engine import rules_at, run_rules
from dockline.rules.models import Hook, Rule

# Orders modified this long before the cursor are asked for again: clocks and
# page boundaries never make us miss one; the unique key makes the repeat harmless.
CURSOR_OVERLAP = timedelta(minutes=5)


@events.endpoints_read_once()
def import_orders(connection: Connection, connector: StoreConnector) -> dict:
    """Fetch orders modified since the channel cursor and store the new ones (idempotent)."""
    channel = connection.channels.get(kind=ChannelKind.ORDERS)
    stored = channel.cursor.get("modified_since")
    since = datetime.fromisoformat(stored) - CURSOR_OVERLAP if stored else None
    newest = datetime.fromisoformat(stored) if stored else None
    connector.order_cursor = dict(channel.cursor.get("platform") or {})
    counts = {"fetched": 0, "new": 0}
    batch: list[StoreOrder] = []
    rules: list[Rule] | None = None  # read once, on the first order fetched
    for store_order in connector.fetch_orders(since):
        counts["fetched"] += 1
        if store_order.cancelled:  # never stored if new; cancelled, or asked of the warehouse, if known
            if cancel_from_store(connection, store_order, source=connector.label):
                counts["cancelled"] = counts.get("cancelled", 0) + 1
        else:
            rules = rules_at(connection.id, Hook.IMPORT) if rules is None else rules
            counts["new"] += store_new_order(connection, store_order, source=connector.label, rules=rules)
        batch.append(store_order)
        if newest is None or store_order.modified_at > newest:
            newest = store_order.modified_at
        if len(batch) >= 100:
            connector.acknowledge(batch)
            batch = []
    if batch:
        connector.acknowledge(batch)
    cursor = {**channel.cursor, **({"modified_since": newest.isoformat()} if newest is not None else {})}
    if connector.order_cursor or "platform" in cursor:
        cursor["platform"] = connector.order_cursor
    if cursor != channel.cursor:
        channel.cursor = cursor
        channel.save(update_fields=["cursor"])
    return counts


@events.endpoints_read_once()
def backfill_orders(connection: Connection, connector: StoreConnector, since: datetime,
                    on_order: Callable[[StoreOrder, bool], None] | None = None) -> dict:
    """Fetch every order modified since `since`, however old, and store those not here yet (`store_new_order`
    de-duplicates, so a backfill run twice stores nothing twice). The channel cursor is left as it is: the
    regular import goes on from where it was. `on_order(order, was_new)` is told of each (a progress bar)."""
    counts = {"fetched": 0, "new": 0}
    batch: list[StoreOrder] = []
    rules: list[Rule] | None = None  # read once, on the first order fetched
    for store_order in connector.fetch_orders(since):
        rules = rules_at(connection.id, Hook.IMPORT) if rules is None else rules
        new = store_new_order(connection, store_order, source=f"{connector.label} (backfill)", rules=rules)
        counts["fetched"] += 1
        counts["new"] += new
        batch.append(store_order)
        if on_order:
            on_order(store_order, new)
        if len(batch) >= 100:
            connector.acknowledge(batch)
            batch = []
    if batch:
        connector.acknowledge(batch)
    return counts


def store_new_order(connection: Connection, so: StoreOrder, *, source: str, actor: Actor = SYSTEM,
                    rules: list[Rule] | None = None) -> bool:
    """Store an order, and run the import rules on it; an order already here takes the store's changes
    while it has not gone to the warehouse (`orders/changes.py`). True if it was new.

    `actor` is who brought it: Dockline for imports, the person or API key for a manual order. `rules` are
    the connection's import rules when the caller read them once for many orders (`rules_at`)."""
    existing = (Order.objects.filter(store_id=connection.store_id, external_id=so.external_id)
                .only("id", "status", "store_modified_at").first())
    if existing:
        apply_store_changes(existing, so)
        return False
    try:
        with transaction.atomic():
            order = Order.objects.create(
                connection=connection,
                store_id=connection.store_id,
                external_id=so.external_id,
                number=so.number,
                store_status=so.store_status,
                placed_at=so.placed_at,
                store_modified_at=so.modified_at,
                customer_email=so.customer_email,
                customer_name=(so.customer_name or (so.destinations[0].address.name if so.destinations else ""))[:200],
                notes=so.notes,
                destinations=[
                    {"ref": d.ref, "address": vars(d.address), "shipping_method": d.shipping_method}
                    for d in so.destinations
                ],
                raw=so.raw,
            )
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    line_id=line.line_id,
                    sku=line.sku.strip(),
                    name=line.name[:300],
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    destination_ref=line.destination_ref,
                )
                for line in so.lines
            )
            units = sum(line.quantity for line in so.lines)
            order.log(f"Imported from {source}: {len(so.lines)} line(s), {units} item(s).", event=Event.IMPORTED,
                      actor=actor)
    except IntegrityError:  # stored meanwhile by a webhook or another worker
        return False
    events.publish(connection.organization_id, events.ORDER_IMPORTED, {"source": source}, connection=connection,
                   order=order)
    run_rules(order, Hook.IMPORT, rules=rules)
    return True
