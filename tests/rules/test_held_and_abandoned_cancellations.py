"""Cancellations meet holds and Abandoned orders: a held order cancelled in the store is never sent, and an
order Abandoned at the warehouse is cancelled there like an Open one (sandbox store and warehouse over FTP)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from dockline.orders.actions import ActionRefused
from dockline.orders.cancel_state import CancelOrigin, CancelState
from dockline.orders.models import Order
from dockline.orders.status import BEFORE_WAREHOUSE
from dockline.orders.status import OrderStatus as S
from dockline.rules import decisions
from dockline.rules.abandoned import abandon_stale_orders
from dockline.rules.holds import release_due_holds
from dockline.sync.jobs import sync_orders, sync_shipments

BC_CANCELLED = 5


@pytest.fixture
def still(transactional_db):
    """A demo world whose warehouse acts only on `tick()` and does not ship what it takes."""
    from dockline.sandbox import demo

    w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=3600, partial_rate=0.0, simulate=False)
    yield w
    w.stop()


def test_a_held_order_cancelled_in_the_store_is_canceled_and_never_sent_even_after_its_hold_ends(still, active_rule):
    assert S.PENDING in BEFORE_WAREHOUSE
    active_rule(still.connection, "Look at mugs", "hold: 2h", '"ACME-MUG" in order.skus')
    store = still.store.sandbox.store
    order_id = store.place_order(items=[("ACME-MUG", 1)], shipping_method="Flat Rate")
    sync_orders(still.connection)
    order = Order.objects.get(external_id=str(order_id))
    assert order.status == S.PENDING

    store.set_status(order_id, BC_CANCELLED)
    sync_orders(still.connection)
    order.refresh_from_db()
    assert order.status == S.CANCELED and order.cancellation.origin == CancelOrigin.STORE
    assert release_due_holds(still.connection, timezone.now() + timedelta(hours=3)) == 0
    with pytest.raises(ActionRefused, match="only Pending orders can be released"):
        decisions.release(order, "Dana")
    sync_orders(still.connection)
    still.wms.tick()

    assert still.wms.received == {}
    order.refresh_from_db()
    assert order.status == S.CANCELED


def test_an_abandoned_order_cancelled_in_the_store_is_cancelled_at_the_warehouse(still):
    store = still.store.sandbox.store
    order_id = store.place_order(items=[("ACME-MUG", 1)], shipping_method="Flat Rate")
    sync_orders(still.connection)
    still.wms.tick()
    assert abandon_stale_orders(still.connection, timezone.now() + timedelta(days=46)) == 1
    order = Order.objects.get(external_id=str(order_id))
    assert order.status == S.ABANDONED

    store.set_status(order_id, BC_CANCELLED)
    sync_orders(still.connection)  # reads the cancellation and sends it to the warehouse
    order.refresh_from_db()
    assert order.status == S.CANCEL_REQUESTED and order.cancellation.state == CancelState.SENT
    still.wms.tick()
    sync_shipments(still.connection)

    order.refresh_from_db()
    assert order.status == S.CANCELED
    assert still.wms.cancelled == [str(order_id)]
