"""Changes the store makes to an order that has not gone to the warehouse yet (the edit window).

An order imported again keeps what Dockline holds once it is in the warehouse's hands; before that, the
store's new ship-to address and lines replace the old ones (lines a rule added stay). An order the
store cancelled never comes here: `orders/cancellations.py` makes it Canceled, and it is never sent. A Queued or stopped order goes back to New so it is
mapped again; a Pending one stays held and is mapped when its hold ends. A Delayed order keeps what it
has: its file may already be at the warehouse (the cancellation path handles those).
"""
from __future__ import annotations

from django.db import transaction

from dockline.core.activity import Event
from dockline.core.types import StoreOrder
from dockline.orders.models import Order, OrderLine
from dockline.orders.status import OrderStatus as S

UNSENT = (S.NEW, S.PENDING, S.QUEUED, S.ERROR)


def apply_store_changes(order: Order, so: StoreOrder) -> bool:
    """Take the store's changes into an order not yet sent; True when something changed."""
    if order.status not in UNSENT or so.modified_at <= order.store_modified_at or order.dispatches.exists():
        return False
    order.refresh_from_db()  # the caller may hold only the fields checked above
    with transaction.atomic():
        order.store_modified_at = so.modified_at
        order.store_status = so.store_status
        order.save(update_fields=["store_modified_at", "store_status", "updated_at"])
        changed = []
        destinations = [{"ref": d.ref, "address": vars(d.address), "shipping_method": d.shipping_method}
                        for d in so.destinations]
        if [(d["ref"], d["address"]) for d in destinations] != [(d["ref"], d["address"]) for d in order.destinations]:
            changed.append("the ship-to address")
        if [d["shipping_method"] for d in destinations] != [d.get("shipping_method") for d in order.destinations]:
            changed.append("the shipping method")
        theirs = sorted((ln.line_id, ln.sku.strip(), ln.quantity, ln.destination_ref) for ln in so.lines)
        ours = sorted(order.lines.filter(added=False).values_list("line_id", "sku", "quantity", "destination_ref"))
        if theirs != ours:
            changed.append("the items")
        if not changed:
            return False
        order.destinations = destinations
        order.customer_email = so.customer_email
        order.save(update_fields=["destinations", "customer_email", "updated_at"])
        if "the items" in changed:
            order.lines.filter(added=False).delete()
            OrderLine.objects.bulk_create(
                OrderLine(order=order, line_id=ln.line_id, sku=ln.sku.strip(), name=ln.name[:300],
                          quantity=ln.quantity, unit_price=ln.unit_price, destination_ref=ln.destination_ref)
                for ln in so.lines)
        order.log(f"The store changed {' and '.join(changed)} before it went to the warehouse; Dockline took "
                  "the change.", event=Event.CHANGED)
        if order.status in (S.QUEUED, S.ERROR):
            order.move_to(S.NEW, "Checked and mapped again after the store's change.")
    return True
